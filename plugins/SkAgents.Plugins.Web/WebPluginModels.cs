using SkAgents.Plugins.Web.Search;

namespace SkAgents.Plugins.Web;

/// <summary>Settings of the <see cref="WebPlugin"/>.</summary>
public sealed class WebPluginOptions
{
    /// <summary>Gets or sets the most characters of page text <c>web_fetch</c> returns (the rest is cut at a paragraph or word end). Default 20,000.</summary>
    public int MaxFetchCharacters { get; set; } = 20_000;

    /// <summary>Gets or sets the most results <c>web_search</c> returns, whatever the model asks for. Default 10.</summary>
    public int MaxSearchResults { get; set; } = 10;

    /// <summary>Gets or sets how many of the top search results <c>web_answer</c> fetches. Default 4.</summary>
    public int AnswerPages { get; set; } = 4;

    /// <summary>Gets or sets how many pages <c>web_answer</c> fetches at the same time. Default 4.</summary>
    public int MaxConcurrentFetches { get; set; } = 4;

    /// <summary>Gets or sets the size passages are cut to before ranking, in characters. Default 700.</summary>
    public int PassageCharacters { get; set; } = 700;

    /// <summary>Gets or sets the most passages given to the model. Default 8.</summary>
    public int AnswerPassages { get; set; } = 8;

    /// <summary>Gets or sets the most characters of passages given to the model (the best passage is always kept). Default 6,000.</summary>
    public int AnswerCharacterBudget { get; set; } = 6_000;

    /// <summary>Gets or sets the prompt that writes answers. Default <c>answer-from-sources</c>.</summary>
    public string AnswerPrompt { get; set; } = "answer-from-sources";

    /// <summary>Gets or sets the error shown when a search is asked for and no provider is configured.</summary>
    public string NoProviderMessage { get; set; } =
        "No web search provider is configured: configure Brave (an API key), Tavily (an API key) or a SearXNG instance (its URL) to search the web.";

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFetchCharacters, 100, nameof(MaxFetchCharacters));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSearchResults, 1, nameof(MaxSearchResults));
        ArgumentOutOfRangeException.ThrowIfLessThan(AnswerPages, 1, nameof(AnswerPages));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentFetches, 1, nameof(MaxConcurrentFetches));
        ArgumentOutOfRangeException.ThrowIfLessThan(PassageCharacters, 100, nameof(PassageCharacters));
        ArgumentOutOfRangeException.ThrowIfLessThan(AnswerPassages, 1, nameof(AnswerPassages));
        ArgumentOutOfRangeException.ThrowIfLessThan(AnswerCharacterBudget, 100, nameof(AnswerCharacterBudget));
        ArgumentException.ThrowIfNullOrWhiteSpace(AnswerPrompt, nameof(AnswerPrompt));
    }
}

/// <summary>What <c>web_search</c> returns.</summary>
/// <param name="Query">The query.</param>
/// <param name="Provider">The provider that answered.</param>
/// <param name="Results">The results, best first.</param>
/// <param name="Notice">A reminder that titles and snippets are untrusted web text.</param>
public sealed record WebSearchResponse(string Query, string Provider, IReadOnlyList<WebSearchResult> Results, string Notice);

/// <summary>What <c>web_fetch</c> returns.</summary>
/// <param name="Url">The URL asked for.</param>
/// <param name="FinalUrl">The URL after redirects.</param>
/// <param name="Title">The page title, when it has one.</param>
/// <param name="MediaType">The response's media type.</param>
/// <param name="Content">The main text as Markdown, wrapped in an <c>untrusted-web-content</c> block.</param>
/// <param name="Truncated">Whether the text was cut to the character budget.</param>
/// <param name="TotalCharacters">The length of the whole main text.</param>
public sealed record WebFetchResult(Uri Url, Uri FinalUrl, string? Title, string MediaType, string Content, bool Truncated, int TotalCharacters);

/// <summary>A numbered source of a <see cref="WebAnswer"/>.</summary>
/// <param name="Number">The number cited as [n] in the answer.</param>
/// <param name="Title">The page title (or its URL when it has none).</param>
/// <param name="Url">The page's final URL.</param>
public sealed record WebSource(int Number, string Title, Uri Url);

/// <summary>A page <c>web_answer</c> could not use.</summary>
/// <param name="Url">The page.</param>
/// <param name="Error">Why.</param>
public sealed record WebPageFailure(Uri Url, string Error);

/// <summary>What <c>web_answer</c> returns.</summary>
/// <param name="Question">The question.</param>
/// <param name="Answer">The answer, citing sources as [n]; citations that match no source are removed.</param>
/// <param name="Sources">The sources the answer cites, by number.</param>
/// <param name="Consulted">Every page the answer was written from (numbered as given to the model).</param>
/// <param name="Skipped">Pages that could not be fetched, with the reason.</param>
/// <param name="NoResult">Whether nothing usable was found (no results, or no page could be read).</param>
/// <param name="Extractive">Whether the answer is made of quoted passages because no chat model was available.</param>
public sealed record WebAnswer(
    string Question,
    string Answer,
    IReadOnlyList<WebSource> Sources,
    IReadOnlyList<WebSource> Consulted,
    IReadOnlyList<WebPageFailure> Skipped,
    bool NoResult,
    bool Extractive);
