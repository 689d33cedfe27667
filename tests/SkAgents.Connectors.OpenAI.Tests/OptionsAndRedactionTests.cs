using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using SkAgents.Connectors.OpenAI;

namespace SkAgents.Connectors.OpenAI.Tests;

public sealed class OptionsAndRedactionTests
{
    private static OpenAICompatibleClientOptions Valid() => new() { Model = "m" };

    [Fact]
    public void Defaults_match_the_documented_values()
    {
        var options = new OpenAICompatibleClientOptions();

        Assert.Equal(new Uri("https://api.openai.com/v1/"), options.Endpoint);
        Assert.Null(options.ApiKey);
        Assert.Equal(OpenAICompatibleProvider.OpenAI, options.Provider);
        Assert.Equal(TimeSpan.FromSeconds(100), options.NetworkTimeout);
        Assert.Equal(3, options.MaxRetries);
        Assert.Equal(TimeSpan.FromSeconds(1), options.InitialRetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(60), options.MaxRetryDelay);
        Assert.Equal(256, options.EmbeddingBatchSize);
        options.Validate();
    }

    public static TheoryData<string, Action<OpenAICompatibleClientOptions>> BadSettings => new()
    {
        { "Endpoint", o => o.Endpoint = new Uri("ftp://example.invalid/v1/") },
        { "Endpoint", o => o.Endpoint = new Uri("/v1/", UriKind.Relative) },
        { "Endpoint", o => o.Endpoint = new Uri("http://localhost:8080/v1/?api-version=1") },
        { "ApiKey", o => o.ApiKey = "   " },
        { "ApiKey", o => o.ApiKey = "sk-abc\n" },
        { "Model", o => o.Model = " " },
        { "EmbeddingModel", o => o.EmbeddingModel = string.Empty },
        { "EmbeddingBatchSize", o => o.EmbeddingBatchSize = 0 },
        { "EmbeddingDimensions", o => o.EmbeddingDimensions = -1 },
        { "NetworkTimeout", o => o.NetworkTimeout = TimeSpan.Zero },
        { "MaxRetries", o => o.MaxRetries = -1 },
        { "InitialRetryDelay", o => o.InitialRetryDelay = TimeSpan.FromSeconds(-1) },
        { "MaxRetryDelay", o => o.MaxRetryDelay = TimeSpan.FromMilliseconds(1) },
        { "Provider", o => o.Provider = (OpenAICompatibleProvider)99 },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Validate_names_the_bad_setting(string setting, Action<OpenAICompatibleClientOptions> breakIt)
    {
        OpenAICompatibleClientOptions options = Valid();
        breakIt(options);

        var ex = Assert.Throws<ModelConfigurationException>(options.Validate);

        Assert.Equal(setting, ex.SettingName);
        Assert.StartsWith($"OpenAICompatibleClientOptions.{setting} ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Chat_client_requires_a_model()
    {
        var ex = Assert.Throws<ModelConfigurationException>(() => new OpenAICompatibleChatClient(new OpenAICompatibleClientOptions()));

        Assert.Equal("Model", ex.SettingName);
    }

    [Fact]
    public void Options_are_copied_so_later_changes_do_not_leak_in()
    {
        OpenAICompatibleClientOptions options = Valid();
        using var client = new OpenAICompatibleChatClient(options);
        options.Model = "changed";

        Assert.Equal("m", client.Model);
        Assert.Equal("m", client.GetService<ChatClientMetadata>()!.DefaultModelId);
    }

    [Fact]
    public void ToString_never_shows_the_key()
    {
        OpenAICompatibleClientOptions options = Valid();
        options.ApiKey = "sk-secret-value-123456";

        Assert.DoesNotContain("sk-secret", options.ToString(), StringComparison.Ordinal);
        Assert.Contains("[REDACTED]", options.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(OpenAICompatibleProvider.OpenAI, "openai")]
    [InlineData(OpenAICompatibleProvider.AzureOpenAI, "azure.ai.openai")]
    [InlineData(OpenAICompatibleProvider.Ollama, "ollama")]
    [InlineData(OpenAICompatibleProvider.Vllm, "vllm")]
    [InlineData(OpenAICompatibleProvider.Tgi, "tgi")]
    [InlineData(OpenAICompatibleProvider.LmStudio, "lmstudio")]
    [InlineData(OpenAICompatibleProvider.LlamaCpp, "llama.cpp")]
    [InlineData(OpenAICompatibleProvider.Other, "openai-compatible")]
    public void Provider_names(OpenAICompatibleProvider provider, string name)
    {
        Assert.Equal(name, OpenAICompatibleClientOptions.GetProviderName(provider));
    }

    [Theory]
    [InlineData("Incorrect API key provided: sk-abcdefghij1234567890wxyz.", "Incorrect API key provided: [REDACTED].")]
    [InlineData("Incorrect API key provided: sk-abc***************wxyz.", "Incorrect API key provided: [REDACTED].")]
    [InlineData("key sk-abcd****** rejected", "key [REDACTED] rejected")]
    [InlineData("key ******7890wxyz rejected", "key [REDACTED] rejected")]
    [InlineData("other key sk-zzz*****9999 rejected", "other key sk-zzz*****9999 rejected")]
    [InlineData("Bearer sk-abcdefghij1234567890wxyz", "Bearer [REDACTED]")]
    [InlineData("nothing secret here", "nothing secret here")]
    public void Redactor_removes_the_key_and_masked_echoes(string input, string expected)
    {
        Assert.Equal(expected, SecretRedactor.Redact(input, "sk-abcdefghij1234567890wxyz"));
    }

    [Fact]
    public void Redactor_ignores_missing_or_tiny_keys()
    {
        Assert.Equal("a b c", SecretRedactor.Redact("a b c", null));
        Assert.Equal("a b c", SecretRedactor.Redact("a b c", "a"));
    }

    [Fact]
    public void Endpoint_description_drops_user_info_and_query()
    {
        Assert.Equal("https://host.example/v1/", SecretRedactor.DescribeEndpoint(new Uri("https://user:pass@host.example/v1/?key=abc")));
    }

    [Fact]
    public void Error_envelope_and_other_shapes_are_parsed()
    {
        ModelErrorMapper.ParseErrorBody("""{"error":{"message":"m","type":"t","param":"p","code":"c"}}""", out string? message, out string? type, out string? code, out string? param);
        Assert.Equal(("m", "t", "c", "p"), (message, type, code, param));

        ModelErrorMapper.ParseErrorBody("""{"error":{"code":401,"message":"Invalid API Key","type":"authentication_error"}}""", out message, out type, out code, out _);
        Assert.Equal(("Invalid API Key", "authentication_error", "401"), (message, type, code));

        ModelErrorMapper.ParseErrorBody("""{"detail":"Not Found"}""", out message, out _, out _, out _);
        Assert.Equal("Not Found", message);

        ModelErrorMapper.ParseErrorBody("not json", out message, out _, out _, out _);
        Assert.Null(message);
    }

    [Fact]
    public void Retry_delay_headers_are_parsed()
    {
        var now = new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromMilliseconds(250), OpenAICompatibleRetryPolicy.GetServerRetryDelay(new FakeHeaders(("retry-after-ms", "250"), ("Retry-After", "9")), now));
        Assert.Equal(TimeSpan.FromSeconds(7), OpenAICompatibleRetryPolicy.GetServerRetryDelay(new FakeHeaders(("Retry-After", "7")), now));
        Assert.Equal(TimeSpan.FromSeconds(30), OpenAICompatibleRetryPolicy.GetServerRetryDelay(new FakeHeaders(("Retry-After", "Wed, 01 Jan 2025 12:00:30 GMT")), now));
        Assert.Equal(TimeSpan.Zero, OpenAICompatibleRetryPolicy.GetServerRetryDelay(new FakeHeaders(("Retry-After", "Wed, 01 Jan 2025 11:00:00 GMT")), now));
        Assert.Null(OpenAICompatibleRetryPolicy.GetServerRetryDelay(new FakeHeaders(("Retry-After", "soon")), now));
        Assert.Null(OpenAICompatibleRetryPolicy.GetServerRetryDelay(new FakeHeaders(), now));
    }

    private sealed class FakeHeaders(params (string Name, string Value)[] headers) : PipelineResponseHeaders
    {
        public override IEnumerator<KeyValuePair<string, string>> GetEnumerator() =>
            headers.Select(h => new KeyValuePair<string, string>(h.Name, h.Value)).GetEnumerator();

        public override bool TryGetValue(string name, out string? value)
        {
            value = headers.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Value;
            return value is not null;
        }

        public override bool TryGetValues(string name, out IEnumerable<string>? values)
        {
            bool found = TryGetValue(name, out string? value);
            values = found ? [value!] : null;
            return found;
        }
    }
}
