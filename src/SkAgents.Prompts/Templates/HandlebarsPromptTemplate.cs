using System.Collections;
using System.Globalization;
using System.Text.Json;
using HandlebarsDotNet;
using Microsoft.Extensions.AI;

namespace SkAgents.Prompts;

/// <summary>
/// The <c>handlebars</c> template format, rendered with Handlebars.Net. Handlebars' own escaping is off: every string that
/// reaches the template (variables, nested strings of structured values, function results) is HTML-encoded exactly once
/// before rendering, and nothing is decoded afterwards, so both <c>{{x}}</c> and <c>{{{x}}}</c> are safe against
/// <c>&lt;message&gt;</c> injection. Strings passed from the template into a function are decoded first.
/// </summary>
internal sealed class HandlebarsPromptTemplate : IPromptTemplate
{
    private readonly TemplateContext _context;
    private readonly HandlebarsTemplate<object, object> _compiled;
    private readonly AsyncLocal<RenderState?> _state = new();

    public HandlebarsPromptTemplate(TemplateContext context)
    {
        _context = context;
        var handlebars = Handlebars.Create(new HandlebarsConfiguration
        {
            NoEscape = true,
            FormatProvider = CultureInfo.InvariantCulture,
        });
        RegisterBuiltInHelpers(handlebars);
        foreach (var function in context.Functions)
        {
            RegisterFunction(handlebars, function);
        }

        try
        {
            _compiled = handlebars.Compile(context.Template);
        }
        catch (HandlebarsException ex)
        {
            throw new PromptTemplateException($"The handlebars template is malformed: {ex.Message}", ex);
        }
    }

    public async ValueTask<string> RenderAsync(AIFunctionArguments? arguments = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var variables = _context.ResolveVariables(arguments);
        _context.WarnAboutMissing(variables);
        var model = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in variables)
        {
            model[name] = Prepare(value, _context.EncodeVariable(name));
        }

        var state = new RenderState(variables, arguments, cancellationToken);
        string Render()
        {
            _state.Value = state;
            try
            {
                return _compiled(model);
            }
            catch (HandlebarsException ex)
            {
                var cancelled = FindInner<OperationCanceledException>(ex);
                if (cancelled is not null)
                {
                    throw cancelled;
                }

                throw new PromptTemplateException($"The handlebars template could not be rendered: {ex.Message}", ex);
            }
            finally
            {
                _state.Value = null;
            }
        }

        // Template functions are called synchronously by Handlebars.Net: run off the caller's synchronization context.
        return _context.Functions.Count == 0 ? Render() : await Task.Run(Render, cancellationToken).ConfigureAwait(false);
    }

    private static T? FindInner<T>(Exception? exception)
        where T : Exception
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is T match)
            {
                return match;
            }
        }

        return null;
    }

    private static void RegisterBuiltInHelpers(IHandlebars handlebars)
    {
        object Add(Context context, Arguments arguments)
        {
            double sum = 0;
            var allIntegers = true;
            for (var i = 0; i < arguments.Length; i++)
            {
                var value = arguments[i];
                if (value is IDictionary)
                {
                    continue; // hash arguments
                }

                if (!PromptValues.TryGetDouble(value is string s ? PromptValues.HtmlDecode(s) : value, out var number))
                {
                    throw new PromptTemplateException($"The 'add' helper takes numbers, not '{PromptValues.ToText(value)}'.");
                }

                allIntegers &= number == Math.Floor(number);
                sum += number;
            }

            return allIntegers && Math.Abs(sum) < 9e15 ? ((long)sum).ToString(CultureInfo.InvariantCulture) : sum.ToString(CultureInfo.InvariantCulture);
        }

        handlebars.RegisterHelper("add", Add);
        handlebars.RegisterHelper("Math.Add", Add);
    }

    private void RegisterFunction(IHandlebars handlebars, AIFunction function)
    {
        var parameters = TemplateContext.ParameterNames(function);
        object Invoke(Context context, Arguments arguments)
        {
            var state = _state.Value ?? throw new InvalidOperationException("Template functions can only run while the template renders.");
            state.CancellationToken.ThrowIfCancellationRequested();
            var functionArguments = TemplateContext.FunctionArguments(parameters, state.Variables, state.Arguments);
            var positional = 0;
            for (var i = 0; i < arguments.Length; i++)
            {
                var value = arguments[i];
                if (value is IDictionary<string, object> hash)
                {
                    foreach (var (key, hashValue) in hash)
                    {
                        functionArguments[key] = Decode(hashValue);
                    }

                    continue;
                }

                if (positional >= parameters.Count)
                {
                    throw new PromptTemplateException($"The function '{function.Name}' takes {parameters.Count} argument(s), but the template passes more.");
                }

                functionArguments[parameters[positional++]] = Decode(value);
            }

            var result = function.InvokeAsync(functionArguments, state.CancellationToken).AsTask().GetAwaiter().GetResult();
            var text = PromptValues.ToText(result);
            return _context.EncodeTrustedContent ? PromptValues.HtmlEncode(text) : text;
        }

        var names = new[] { function.Name, FunctionNames.HandlebarsName(function.Name) }.Distinct(StringComparer.Ordinal);
        foreach (var name in names)
        {
            handlebars.RegisterHelper(name, Invoke);
        }
    }

    /// <summary>Turns a value into what Handlebars can walk (dictionaries, lists, primitives), encoding every string when asked.</summary>
    private static object? Prepare(object? value, bool encode)
    {
        switch (value)
        {
            case null:
                return null;
            case string s:
                return encode ? PromptValues.HtmlEncode(s) : s;
            case bool or long or int or double or float or decimal or short or byte:
                return value;
            case JsonElement element:
                return PrepareJson(element, encode);
            case IDictionary dictionary:
                var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (DictionaryEntry entry in dictionary)
                {
                    map[PromptValues.ToText(entry.Key)] = Prepare(entry.Value, encode);
                }

                return map;
            case IEnumerable sequence:
                return sequence.Cast<object?>().Select(item => Prepare(item, encode)).ToList();
            case IFormattable formattable:
                return Prepare(formattable.ToString(null, CultureInfo.InvariantCulture), encode);
            default:
                return PrepareJson(PromptValues.ToElement(PromptValues.ToJsonNode(value)), encode);
        }
    }

    private static object? PrepareJson(JsonElement element, bool encode) => element.ValueKind switch
    {
        JsonValueKind.String => Prepare(element.GetString(), encode),
        JsonValueKind.Number => element.TryGetInt64(out var l) ? l : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Array => element.EnumerateArray().Select(e => PrepareJson(e, encode)).ToList(),
        JsonValueKind.Object => element.EnumerateObject().ToDictionary(p => p.Name, p => PrepareJson(p.Value, encode), StringComparer.Ordinal),
        _ => null,
    };

    /// <summary>Undoes <see cref="Prepare"/>'s encoding for a value passed from the template to a function.</summary>
    private static object? Decode(object? value) => value switch
    {
        string s => PromptValues.HtmlDecode(s),
        IDictionary<string, object?> map => map.ToDictionary(p => p.Key, p => Decode(p.Value), StringComparer.Ordinal),
        IList<object?> list => list.Select(Decode).ToList(),
        _ => value,
    };

    private sealed record RenderState(Dictionary<string, object?> Variables, AIFunctionArguments? Arguments, CancellationToken CancellationToken);
}
