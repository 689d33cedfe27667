using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using SkAgents.Tokenizers;

namespace SkAgents.Cli.Commands;

/// <summary><c>skagents tokens encode|decode</c>: JSON-lines tokenization with a Hugging Face tokenizer folder.</summary>
internal static class TokensCommand
{
    private static readonly JsonSerializerOptions Compact = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    /// <summary>Builds the <c>tokens</c> command.</summary>
    /// <param name="context">The process surroundings.</param>
    /// <returns>The command.</returns>
    public static Command Create(CliContext context)
    {
        var tokenizerOption = new Option<DirectoryInfo>("--tokenizer") { Description = "Folder holding tokenizer.json (and optionally tokenizer_config.json).", Required = true };
        var addSpecial = new Option<bool>("--add-special-tokens") { Description = "Add the post-processor's special tokens (BOS, [CLS]/[SEP]...)." };
        var encode = new Command("encode", "Read {\"text\": \"...\"} JSON lines from stdin and write {\"ids\": [...]} lines.") { tokenizerOption, addSpecial };
        encode.SetAction(async (parse, ct) =>
        {
            if (await LoadAsync(context, parse.GetRequiredValue(tokenizerOption)) is not { } tokenizer)
            {
                return ExitCodes.UsageError;
            }

            var add = parse.GetValue(addSpecial);
            return await ProcessLinesAsync(context, line =>
            {
                var text = ReadProperty(line, "text", JsonValueKind.String).GetString()!;
                var ids = new JsonArray([.. tokenizer.Encode(text, add).Select(id => (JsonNode)id)]);
                return new JsonObject { ["ids"] = ids }.ToJsonString(Compact);
            }, ct);
        });

        var decodeTokenizerOption = new Option<DirectoryInfo>("--tokenizer") { Description = "Folder holding tokenizer.json (and optionally tokenizer_config.json).", Required = true };
        var skipSpecial = new Option<bool>("--skip-special-tokens") { Description = "Leave special tokens out of the text." };
        var decode = new Command("decode", "Read {\"ids\": [...]} JSON lines from stdin and write {\"text\": \"...\"} lines.") { decodeTokenizerOption, skipSpecial };
        decode.SetAction(async (parse, ct) =>
        {
            if (await LoadAsync(context, parse.GetRequiredValue(decodeTokenizerOption)) is not { } tokenizer)
            {
                return ExitCodes.UsageError;
            }

            var skip = parse.GetValue(skipSpecial);
            return await ProcessLinesAsync(context, line =>
            {
                var array = ReadProperty(line, "ids", JsonValueKind.Array);
                var ids = new List<int>(array.GetArrayLength());
                foreach (var item in array.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var id))
                    {
                        throw new FormatException("\"ids\" must hold integers.");
                    }

                    ids.Add(id);
                }

                return new JsonObject { ["text"] = tokenizer.Decode(ids, skip) }.ToJsonString(Compact);
            }, ct);
        });

        return new Command("tokens", "Encode or decode text with a Hugging Face tokenizer (tokenizer.json).") { encode, decode };
    }

    private static async Task<Tokenizer?> LoadAsync(CliContext context, DirectoryInfo folder)
    {
        try
        {
            return Tokenizer.FromDirectory(folder.FullName);
        }
        catch (TokenizerException ex)
        {
            await context.Error.WriteLineAsync("error: " + ex.Message.ReplaceLineEndings(" "));
            return null;
        }
    }

    private static async Task<int> ProcessLinesAsync(CliContext context, Func<JsonElement, string> handle, CancellationToken cancellationToken)
    {
        var lineNumber = 0;
        while (await context.In.ReadLineAsync(cancellationToken) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            string output;
            try
            {
                using var document = JsonDocument.Parse(line);
                output = handle(document.RootElement);
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
            {
                await context.Out.FlushAsync(cancellationToken);
                await context.Error.WriteLineAsync($"error: line {lineNumber}: {ex.Message.ReplaceLineEndings(" ")}");
                return ExitCodes.UsageError;
            }

            await context.Out.WriteLineAsync(output);
        }

        await context.Out.FlushAsync(cancellationToken);
        return ExitCodes.Success;
    }

    private static JsonElement ReadProperty(JsonElement root, string name, JsonValueKind kind)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"expected a JSON object with \"{name}\".");
        }

        if (!root.TryGetProperty(name, out var value) || value.ValueKind != kind)
        {
            throw new FormatException($"expected \"{name}\" to be a JSON {kind.ToString().ToLowerInvariant()}.");
        }

        return value;
    }
}
