using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace SkAgents.Prompts;

/// <summary>
/// The <c>semantic-kernel</c> template format: text with <c>{{$variable}}</c>, <c>{{'quoted value'}}</c> and
/// <c>{{plugin.function [$var|"value"] [name=$var|name='value' ...]}}</c> blocks.
/// </summary>
internal sealed partial class SemanticKernelPromptTemplate : IPromptTemplate
{
    private readonly TemplateContext _context;
    private readonly List<Block> _blocks;

    public SemanticKernelPromptTemplate(TemplateContext context)
    {
        _context = context;
        _blocks = Tokenize(context.Template);
    }

    public async ValueTask<string> RenderAsync(AIFunctionArguments? arguments = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var variables = _context.ResolveVariables(arguments);
        var result = new StringBuilder(_context.Template.Length + 256);
        foreach (var block in _blocks)
        {
            switch (block)
            {
                case TextBlock text:
                    result.Append(text.Text);
                    break;
                case VariableBlock variable:
                    result.Append(RenderVariable(variable, variables));
                    break;
                case ValueBlock value:
                    result.Append(_context.EncodeTrustedContent ? PromptValues.HtmlEncode(value.Value) : value.Value);
                    break;
                case FunctionBlock function:
                    result.Append(await RenderFunctionAsync(function, variables, arguments, cancellationToken).ConfigureAwait(false));
                    break;
            }
        }

        return result.ToString();
    }

    private string RenderVariable(VariableBlock block, Dictionary<string, object?> variables)
    {
        if (!variables.TryGetValue(block.Name, out var value))
        {
            _context.Logger.LogWarning("Prompt '{Prompt}': variable '{Variable}' (template position {Position}) has no value and renders as empty text.", _context.Config.Name, block.Name, block.Position);
            return string.Empty;
        }

        var text = PromptValues.ToText(value);
        return _context.EncodeVariable(block.Name) ? PromptValues.HtmlEncode(text) : text;
    }

    private async ValueTask<string> RenderFunctionAsync(FunctionBlock block, Dictionary<string, object?> variables, AIFunctionArguments? arguments, CancellationToken cancellationToken)
    {
        var function = FunctionNames.Find(_context.Functions, block.FunctionName)
            ?? throw new PromptTemplateException(
                $"The template calls the function '{block.FunctionName}', which is not available. Available functions: {FunctionNames.Describe(_context.Functions)}.",
                _context.Template,
                block.Position);
        var parameters = TemplateContext.ParameterNames(function);
        var functionArguments = TemplateContext.FunctionArguments(parameters, variables, arguments);
        if (block.Positional is { } positional)
        {
            if (parameters.Count == 0)
            {
                throw new PromptTemplateException($"The function '{function.Name}' takes no arguments, but the template passes one.", _context.Template, block.Position);
            }

            SetArgument(functionArguments, parameters[0], positional, variables);
        }

        foreach (var (name, argument) in block.Named)
        {
            SetArgument(functionArguments, name, argument, variables);
        }

        var result = await function.InvokeAsync(functionArguments, cancellationToken).ConfigureAwait(false);
        var text = PromptValues.ToText(result);
        return _context.EncodeTrustedContent ? PromptValues.HtmlEncode(text) : text;
    }

    private void SetArgument(AIFunctionArguments target, string name, Block argument, Dictionary<string, object?> variables)
    {
        switch (argument)
        {
            case ValueBlock value:
                target[name] = value.Value;
                break;
            case VariableBlock variable when variables.TryGetValue(variable.Name, out var value):
                target[name] = value;
                break;
            case VariableBlock variable:
                _context.Logger.LogWarning("Prompt '{Prompt}': variable '{Variable}' (template position {Position}) has no value; the argument '{Argument}' is left out.", _context.Config.Name, variable.Name, variable.Position, name);
                target.Remove(name);
                break;
        }
    }

    // ---- tokenizer -------------------------------------------------------------------------------------------------

    /// <summary>Splits the template into text and code blocks, as Semantic Kernel's template tokenizer does.</summary>
    internal static List<Block> Tokenize(string template)
    {
        var blocks = new List<Block>();
        var textStart = 0;
        var i = 0;
        while (i < template.Length - 1)
        {
            if (template[i] != '{' || template[i + 1] != '{')
            {
                i++;
                continue;
            }

            // Find the matching "}}", skipping quoted values (which may contain "}}").
            var blockStart = i;
            var j = i + 2;
            char quote = '\0';
            var end = -1;
            while (j < template.Length)
            {
                var c = template[j];
                if (quote != '\0')
                {
                    if (c == '\\' && j + 1 < template.Length && (template[j + 1] is '\\' or '\'' or '"'))
                    {
                        j += 2;
                        continue;
                    }

                    if (c == quote)
                    {
                        quote = '\0';
                    }
                }
                else if (c is '\'' or '"')
                {
                    quote = c;
                }
                else if (c == '}' && j + 1 < template.Length && template[j + 1] == '}')
                {
                    end = j;
                    break;
                }

                j++;
            }

            if (end < 0)
            {
                if (quote != '\0')
                {
                    var quoteStart = template.IndexOf(quote, blockStart + 2);
                    throw new PromptTemplateException("A quoted value is not closed.", template, quoteStart);
                }

                // An unclosed "{{" is plain text, as in Semantic Kernel.
                break;
            }

            var raw = template[(blockStart + 2)..end];
            var content = raw.Trim();
            if (content.Length == 0)
            {
                // "{{ }}" stays as text.
                i = end + 2;
                continue;
            }

            if (blockStart > textStart)
            {
                blocks.Add(new TextBlock(template[textStart..blockStart], textStart));
            }

            var contentStart = blockStart + 2 + (raw.Length - raw.TrimStart().Length);
            blocks.Add(ParseCode(template, content, contentStart));
            i = end + 2;
            textStart = i;
        }

        if (textStart < template.Length)
        {
            blocks.Add(new TextBlock(template[textStart..], textStart));
        }

        return blocks;
    }

    private static Block ParseCode(string template, string content, int offset)
    {
        var tokens = new List<Block>();
        var i = 0;
        while (i < content.Length)
        {
            if (char.IsWhiteSpace(content[i]))
            {
                i++;
                continue;
            }

            var start = i;
            if (content[i] is '\'' or '"')
            {
                tokens.Add(ReadValue(template, content, offset, ref i));
                continue;
            }

            while (i < content.Length && !char.IsWhiteSpace(content[i]) && content[i] is not ('=' or '\'' or '"'))
            {
                i++;
            }

            var word = content[start..i];
            if (word.Length == 0)
            {
                throw new PromptTemplateException($"Unexpected '{content[i]}' in the block '{{{{{content}}}}}'.", template, offset + i);
            }

            var lookahead = i;
            while (lookahead < content.Length && char.IsWhiteSpace(content[lookahead]))
            {
                lookahead++;
            }

            if (lookahead < content.Length && content[lookahead] == '=')
            {
                if (!PromptTemplateConfig.IsValidVariableName(word))
                {
                    throw new PromptTemplateException($"The argument name '{word}' is invalid: use letters, digits and '_' only.", template, offset + start);
                }

                i = lookahead + 1;
                while (i < content.Length && char.IsWhiteSpace(content[i]))
                {
                    i++;
                }

                Block value;
                if (i < content.Length && content[i] is '\'' or '"')
                {
                    value = ReadValue(template, content, offset, ref i);
                }
                else if (i < content.Length && content[i] == '$')
                {
                    var varStart = i;
                    while (i < content.Length && !char.IsWhiteSpace(content[i]))
                    {
                        i++;
                    }

                    value = ReadVariable(template, content[varStart..i], offset + varStart);
                }
                else
                {
                    throw new PromptTemplateException($"The value of the argument '{word}' must be a variable ($name) or a quoted value.", template, offset + i);
                }

                tokens.Add(new NamedArgumentBlock(word, value, offset + start));
                continue;
            }

            if (word[0] == '$')
            {
                tokens.Add(ReadVariable(template, word, offset + start));
            }
            else if (FunctionNameRegex().IsMatch(word))
            {
                tokens.Add(new FunctionBlock(word, null, [], offset + start));
            }
            else
            {
                throw new PromptTemplateException($"'{word}' is not a valid function name (use plugin.function or a function name).", template, offset + start);
            }
        }

        var first = tokens[0];
        switch (first)
        {
            case VariableBlock or ValueBlock when tokens.Count > 1:
                throw new PromptTemplateException(
                    $"Unexpected content after the {(first is VariableBlock ? "variable" : "value")} in the block '{{{{{content}}}}}': only function calls take arguments.",
                    template,
                    tokens[1].Position);
            case VariableBlock or ValueBlock:
                return first;
            case NamedArgumentBlock:
                throw new PromptTemplateException($"A named argument must follow a function name in the block '{{{{{content}}}}}'.", template, first.Position);
        }

        var call = (FunctionBlock)first;
        Block? positional = null;
        var named = new List<(string Name, Block Value)>();
        for (var t = 1; t < tokens.Count; t++)
        {
            switch (tokens[t])
            {
                case NamedArgumentBlock argument:
                    if (named.Any(n => string.Equals(n.Name, argument.Name, StringComparison.Ordinal)))
                    {
                        throw new PromptTemplateException($"The argument '{argument.Name}' is given more than once.", template, argument.Position);
                    }

                    named.Add((argument.Name, argument.Value));
                    break;
                case VariableBlock or ValueBlock when t == 1:
                    positional = tokens[t];
                    break;
                case FunctionBlock:
                    throw new PromptTemplateException($"A function call cannot take another function call as an argument in the block '{{{{{content}}}}}'.", template, tokens[t].Position);
                default:
                    throw new PromptTemplateException(
                        $"Functions take one positional argument, then named arguments only (name=$var or name='value'), in the block '{{{{{content}}}}}'.",
                        template,
                        tokens[t].Position);
            }
        }

        return new FunctionBlock(call.FunctionName, positional, named, call.Position);
    }

    private static ValueBlock ReadValue(string template, string content, int offset, ref int i)
    {
        var start = i;
        var quote = content[i++];
        var value = new StringBuilder();
        while (i < content.Length)
        {
            var c = content[i];
            if (c == '\\' && i + 1 < content.Length && content[i + 1] is '\\' or '\'' or '"')
            {
                value.Append(content[i + 1]);
                i += 2;
                continue;
            }

            if (c == quote)
            {
                i++;
                if (i < content.Length && !char.IsWhiteSpace(content[i]))
                {
                    throw new PromptTemplateException("A quoted value must be followed by a space or the end of the block.", template, offset + i);
                }

                return new ValueBlock(value.ToString(), offset + start);
            }

            value.Append(c);
            i++;
        }

        throw new PromptTemplateException("A quoted value is not closed.", template, offset + start);
    }

    private static VariableBlock ReadVariable(string template, string word, int position)
    {
        var name = word[1..];
        if (name.Length == 0)
        {
            throw new PromptTemplateException("A variable must have a name ('$' alone).", template, position);
        }

        if (!PromptTemplateConfig.IsValidVariableName(name))
        {
            throw new PromptTemplateException($"The variable name '{name}' is invalid: use letters, digits and '_' only.", template, position);
        }

        return new VariableBlock(name, position);
    }

    [GeneratedRegex(@"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)?$")]
    private static partial Regex FunctionNameRegex();

    internal abstract record Block(int Position);

    internal sealed record TextBlock(string Text, int Position) : Block(Position);

    internal sealed record VariableBlock(string Name, int Position) : Block(Position);

    internal sealed record ValueBlock(string Value, int Position) : Block(Position);

    internal sealed record NamedArgumentBlock(string Name, Block Value, int Position) : Block(Position);

    internal sealed record FunctionBlock(string FunctionName, Block? Positional, IReadOnlyList<(string Name, Block Value)> Named, int Position) : Block(Position);
}
