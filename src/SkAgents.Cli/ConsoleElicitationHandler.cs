using System.Globalization;
using System.Text.Json;
using ModelContextProtocol.Protocol;
using SkAgents.Mcp.Client;
using Spectre.Console;

namespace SkAgents.Cli;

/// <summary>
/// Asks the person at the terminal the questions an external MCP server sends (MCP elicitation), one form at a time.
/// Yes/no fields default to no; the person may decline the whole request first.
/// </summary>
internal sealed class ConsoleElicitationHandler : IMcpElicitationHandler, IDisposable
{
    private readonly IAnsiConsole _console;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    public ConsoleElicitationHandler(IAnsiConsole console) => _console = console;

    public void Dispose() => _oneAtATime.Dispose();

    public async ValueTask<ElicitResult> ElicitAsync(string serverName, ElicitRequestParams request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Tool calls run concurrently, so two servers (or two calls) may ask at once: never interleave prompts.
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            _console.MarkupLine($"[yellow]MCP server '{Markup.Escape(serverName)}' asks:[/] {Markup.Escape(request.Message ?? string.Empty)}");
            var fields = request.RequestedSchema?.Properties ?? new Dictionary<string, ElicitRequestParams.PrimitiveSchemaDefinition>();
            if (fields.Values.Any(f => f is not (ElicitRequestParams.BooleanSchema or ElicitRequestParams.StringSchema or ElicitRequestParams.NumberSchema
                or ElicitRequestParams.UntitledSingleSelectEnumSchema or ElicitRequestParams.TitledSingleSelectEnumSchema)))
            {
                _console.MarkupLine("[grey]The form has a kind of field this terminal cannot ask; declined.[/]");
                return new ElicitResult { Action = "decline" };
            }

            // A lone yes/no field is the question itself; otherwise ask first whether to answer at all.
            var single = fields.Count == 1 && fields.Values.Single() is ElicitRequestParams.BooleanSchema;
            if (!single && !await new ConfirmationPrompt("Answer this request?") { DefaultValue = false }.ShowAsync(_console, cancellationToken))
            {
                return new ElicitResult { Action = "decline" };
            }

            var required = request.RequestedSchema?.Required ?? [];
            var content = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var (name, field) in fields)
            {
                var label = Markup.Escape(field.Title ?? name) + (field.Description is { Length: > 0 } d ? $" [grey]({Markup.Escape(d)})[/]" : string.Empty);
                var isRequired = required.Contains(name);
                switch (field)
                {
                    case ElicitRequestParams.BooleanSchema boolean:
                        content[name] = JsonSerializer.SerializeToElement(
                            await new ConfirmationPrompt(label) { DefaultValue = boolean.Default ?? false }.ShowAsync(_console, cancellationToken));
                        break;
                    case ElicitRequestParams.NumberSchema number:
                        var value = await new TextPrompt<double>(label) { AllowEmpty = false }
                            .Validate(v => (number.Minimum is null || v >= number.Minimum) && (number.Maximum is null || v <= number.Maximum)
                                ? ValidationResult.Success()
                                : ValidationResult.Error($"Between {number.Minimum?.ToString(CultureInfo.InvariantCulture) ?? "-∞"} and {number.Maximum?.ToString(CultureInfo.InvariantCulture) ?? "∞"}."))
                            .ShowAsync(_console, cancellationToken);
                        content[name] = JsonSerializer.SerializeToElement(value);
                        break;
                    case ElicitRequestParams.UntitledSingleSelectEnumSchema options:
                        content[name] = JsonSerializer.SerializeToElement(
                            await new SelectionPrompt<string> { Title = label }.AddChoices(options.Enum).ShowAsync(_console, cancellationToken));
                        break;
                    case ElicitRequestParams.TitledSingleSelectEnumSchema titled:
                        var chosen = await new SelectionPrompt<ElicitRequestParams.EnumSchemaOption> { Title = label, Converter = o => Markup.Escape(o.Title ?? o.Const) }
                            .AddChoices(titled.OneOf).ShowAsync(_console, cancellationToken);
                        content[name] = JsonSerializer.SerializeToElement(chosen.Const);
                        break;
                    case ElicitRequestParams.StringSchema text:
                        var answer = await new TextPrompt<string>(label) { AllowEmpty = !isRequired }.ShowAsync(_console, cancellationToken);
                        if (answer.Length > 0 || isRequired)
                        {
                            content[name] = JsonSerializer.SerializeToElement(answer.Length == 0 ? text.Default ?? string.Empty : answer);
                        }

                        break;
                }
            }

            return new ElicitResult { Action = "accept", Content = content };
        }
        finally
        {
            _oneAtATime.Release();
        }
    }
}
