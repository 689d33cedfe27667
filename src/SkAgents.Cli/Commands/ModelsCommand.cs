using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SkAgents.LocalModels;
using SkAgents.LocalModels.ChatFormats;
using SkAgents.LocalModels.GenAI;
using SkAgents.LocalModels.Generation;
using SkAgents.Tokenizers;
using Spectre.Console;

namespace SkAgents.Cli.Commands;

/// <summary><c>skagents models inspect|run|pull</c>: local onnxruntime-genai model folders.</summary>
internal static class ModelsCommand
{
    public static Command Create(CliContext context) =>
        new("models", "Inspect, run and download local models (onnxruntime-genai folders).")
        {
            Inspect(context),
            Run(context),
            ModelsPullCommand.Create(context),
        };

    private static Command Inspect(CliContext context)
    {
        var folder = new Argument<DirectoryInfo>("dir") { Description = "The model folder (genai_config.json, decoder .onnx, tokenizer.json)." };
        var format = new Option<string?>("--format") { Description = "Chat format (phi3, phi4-mini, chatml, qwen3, llama3); detected when omitted." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("inspect", "Describe a model folder: type, sizes, inputs/outputs, tokenizer, KV-cache memory.") { folder, format, json };
        command.SetAction(async (parse, ct) =>
        {
            var info = LocalModel.Inspect(parse.GetRequiredValue(folder).FullName, new LocalModelOptions { ChatFormat = parse.GetValue(format) });
            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(info, SkAgentsCli.JsonOutput));
                return ExitCodes.Success;
            }

            var table = new Table().AddColumns("Property", "Value");
            void Row(string name, object value) => table.AddRow(Markup.Escape(name), Markup.Escape(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty));
            Row("Folder", info.Folder);
            Row("Model type", info.ModelType);
            Row("Chat format", info.ChatFormat);
            Row("Decoder", $"{info.DecoderFile} ({FormatBytes(info.FileBytes)})");
            Row("Layers / heads / KV heads / head size", $"{info.Layers} / {info.AttentionHeads} / {info.KeyValueHeads} / {info.HeadSize}");
            Row("Hidden size", info.HiddenSize);
            Row("Vocabulary (model / tokenizer)", $"{info.VocabularySize} / {info.TokenizerVocabularySize}");
            Row("Context length", info.ContextLength);
            Row("Default max length", info.DefaultMaxLength);
            Row("KV cache", $"{info.KvCacheMode}, {FormatBytes(info.KvCacheBytes)} at {info.DefaultMaxLength} tokens");
            Row("End tokens", string.Join(", ", info.EosTokenIds));
            Row("Inputs", string.Join("\n", info.Inputs));
            Row("Outputs", string.Join("\n", info.Outputs));
            context.CreateConsole(context.Out).Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Run(CliContext context)
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "The model folder.", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "The prompt (a user message, unless --raw).", Required = true };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "The most tokens to generate." };
        var greedy = new Option<bool>("--greedy") { Description = "Always pick the most likely token (ignore the folder's sampling settings)." };
        var raw = new Option<bool>("--raw") { Description = "Feed the prompt's tokens as they are, with no chat template." };
        var ids = new Option<bool>("--ids") { Description = "Print the generated token ids as a JSON array instead of text." };
        var format = new Option<string?>("--format") { Description = "Chat format (phi3, phi4-mini, chatml, qwen3, llama3); detected when omitted." };
        var seed = new Option<long?>("--seed") { Description = "Random seed for sampling." };
        var command = new Command("run", "Generate from a local model folder, streaming the text.") { model, prompt, maxTokens, greedy, raw, ids, format, seed };
        command.SetAction(async (parse, ct) =>
        {
            var folder = parse.GetRequiredValue(model).FullName;
            if (!Directory.Exists(folder))
            {
                throw new ModelFolderException($"The model folder '{folder}' does not exist.");
            }

            var tokenizer = Tokenizer.FromDirectory(folder);
            using var decoder = OnnxDecoderModel.Load(folder);
            var chatFormat = parse.GetValue(format) is { } name
                ? ChatFormat.FromName(name)
                : ChatFormat.Detect(decoder.Config.Model.Type, t => tokenizer.TokenToId(t) is not null);
            var text = parse.GetRequiredValue(prompt);
            var promptIds = tokenizer.Encode(parse.GetValue(raw) ? text : chatFormat.Render([new ChatMessage(ChatRole.User, text)]));

            var search = decoder.Config.Search;
            var settings = new GenerationSettings
            {
                DoSample = search.DoSample && !parse.GetValue(greedy),
                TopK = Math.Max(0, search.TopK),
                TopP = search.TopP is > 0 and <= 1 ? search.TopP : 1f,
                Temperature = search.Temperature,
                RepetitionPenalty = search.RepetitionPenalty,
                MaxNewTokens = parse.GetValue(maxTokens),
                MaxLength = decoder.DefaultMaxLength,
                Seed = parse.GetValue(seed) ?? (search.RandomSeed >= 0 ? search.RandomSeed : null),
            };
            var endTokens = new HashSet<int>(decoder.EosTokenIds);
            foreach (var stop in chatFormat.StopSequences)
            {
                if (tokenizer.TokenToId(stop) is { } id)
                {
                    endTokens.Add(id);
                }
            }

            using var sequence = decoder.StartSequence(Math.Min(settings.MaxLength, decoder.ContextLength));
            var generator = new TokenGenerator(sequence, promptIds, settings, endTokens, decoder.VocabularySize);
            var streaming = tokenizer.CreateStreamingDecoder(skipSpecialTokens: true);
            var generated = new List<int>();
            var printIds = parse.GetValue(ids);
            while (await Task.Run(() => (generator.TryNext(out var token, ct), token), ct) is (true, var next))
            {
                generated.Add(next);
                if (!printIds && !endTokens.Contains(next))
                {
                    await context.Out.WriteAsync(streaming.Append(next));
                    await context.Out.FlushAsync(ct);
                }
            }

            if (printIds)
            {
                await context.Out.WriteLineAsync(JsonSerializer.Serialize(generated));
            }
            else
            {
                await context.Out.WriteLineAsync(streaming.Flush());
            }

            await context.Error.WriteLineAsync($"{generator.PromptTokens} prompt tokens, {generator.GeneratedTokens} generated ({generator.StopReason}).");
            return ExitCodes.Success;
        });
        return command;
    }

    private static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F2} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F1} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:F1} KiB",
        _ => $"{bytes} B",
    };
}
