using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SkAgents.Plugins.Notion;

/// <summary>What <see cref="NotionClient.SearchAsync"/> looks for.</summary>
public enum NotionSearchFilter
{
    /// <summary>Pages and data sources (databases before 2025-09-03).</summary>
    All,

    /// <summary>Pages only.</summary>
    Page,

    /// <summary>Data sources only (databases on 2022-06-28).</summary>
    DataSource,
}

/// <summary>Where a new page goes.</summary>
public enum NotionParentKind
{
    /// <summary>Under a page (<c>page_id</c>).</summary>
    Page,

    /// <summary>As a row of a data source (<c>data_source_id</c>; <c>database_id</c> on 2022-06-28).</summary>
    DataSource,
}

/// <summary>The parent of a new page.</summary>
/// <param name="Kind">Page or data source.</param>
/// <param name="Id">The parent's id (dashed or not, or a URL).</param>
public sealed record NotionParent(NotionParentKind Kind, string Id);

/// <summary>One page of a paginated list.</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Results">The items.</param>
/// <param name="NextCursor">The cursor of the next page, when <paramref name="HasMore"/>.</param>
/// <param name="HasMore">Whether more pages follow.</param>
public sealed record NotionList<T>(IReadOnlyList<T> Results, string? NextCursor, bool HasMore);

/// <summary>A page, database or data source, as search, retrieve and query return it.</summary>
/// <param name="Kind">The object kind: <c>page</c>, <c>database</c> or <c>data_source</c>.</param>
/// <param name="Id">The dashed id.</param>
/// <param name="Title">The title (from the <c>title</c> property of a page, or the title of a database/data source).</param>
/// <param name="Url">The notion.so URL.</param>
/// <param name="LastEditedTime">When it last changed.</param>
/// <param name="InTrash">Whether it is in the trash (<c>in_trash</c>, or <c>archived</c> before 2026-03-11).</param>
/// <param name="ParentType">The parent's kind, e.g. <c>page_id</c>, <c>data_source_id</c>, <c>workspace</c>.</param>
/// <param name="ParentId">The parent's id, if any.</param>
/// <param name="Properties">A page's properties as plain text (name → value); empty for databases.</param>
public sealed record NotionObject(
    string Kind,
    string Id,
    string Title,
    string Url,
    DateTimeOffset? LastEditedTime,
    bool InTrash,
    string? ParentType,
    string? ParentId,
    IReadOnlyDictionary<string, string> Properties)
{
    /// <summary>Reads a page, database or data source object.</summary>
    /// <param name="json">The object's JSON.</param>
    /// <returns>The object.</returns>
    public static NotionObject FromJson(JsonElement json)
    {
        var kind = json.Str("object") ?? "page";
        var id = json.Str("id") ?? string.Empty;
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        var title = string.Empty;
        if (json.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object && kind == "page")
        {
            foreach (var property in props.EnumerateObject())
            {
                var value = NotionText.PropertyText(property.Value);
                properties[property.Name] = value;
                if (property.Value.Str("type") == "title")
                {
                    title = value;
                }
            }
        }

        if (kind != "page" && json.TryGetProperty("title", out var titleArray) && titleArray.ValueKind == JsonValueKind.Array)
        {
            title = NotionText.Plain(titleArray);
        }

        string? parentType = null, parentId = null;
        if (json.TryGetProperty("parent", out var parent) && parent.ValueKind == JsonValueKind.Object)
        {
            parentType = parent.Str("type");
            if (parentType is not null && parent.TryGetProperty(parentType, out var pid) && pid.ValueKind == JsonValueKind.String)
            {
                parentId = pid.GetString();
            }
        }

        var inTrash = json.Bool("in_trash") ?? json.Bool("archived") ?? false;
        var url = json.Str("url") is { Length: > 0 } u ? u : (id.Length > 0 ? NotionIds.Url(id) : string.Empty);
        return new NotionObject(kind, id, title, url, json.Time("last_edited_time"), inTrash, parentType, parentId, properties);
    }
}

/// <summary>A block with its children (read recursively by <see cref="NotionClient.GetBlockTreeAsync"/>).</summary>
public sealed class NotionBlock
{
    /// <summary>Creates a block from its JSON.</summary>
    /// <param name="json">The block object.</param>
    public NotionBlock(JsonElement json)
    {
        Json = json;
        Id = json.Str("id") ?? string.Empty;
        Type = json.Str("type") ?? "unsupported";
        HasChildren = json.Bool("has_children") ?? false;
    }

    /// <summary>Gets the block id.</summary>
    public string Id { get; }

    /// <summary>Gets the block type, e.g. <c>paragraph</c>.</summary>
    public string Type { get; }

    /// <summary>Gets whether Notion says it has children.</summary>
    public bool HasChildren { get; }

    /// <summary>Gets the whole block JSON.</summary>
    public JsonElement Json { get; }

    /// <summary>Gets the type-keyed body, e.g. the value of <c>"paragraph"</c>.</summary>
    public JsonElement Body => Json.TryGetProperty(Type, out var body) ? body : default;

    /// <summary>Gets the children that were read (empty for child pages and databases, which are separate objects).</summary>
    public IList<NotionBlock> Children { get; } = [];
}

/// <summary>A page read as Markdown.</summary>
/// <param name="Page">The page.</param>
/// <param name="Markdown">Its content as Markdown, starting with <c># Title</c>.</param>
/// <param name="ChildPages">The ids of child pages and databases linked from it.</param>
/// <param name="BlockCount">How many blocks were read.</param>
public sealed record NotionPageContent(NotionObject Page, string Markdown, IReadOnlyList<string> ChildPages, int BlockCount);

/// <summary>The outcome of creating a page or appending blocks.</summary>
/// <param name="PageId">The page (created or appended to).</param>
/// <param name="Url">Its URL.</param>
/// <param name="BlocksWritten">How many top-level blocks were written.</param>
/// <param name="Requests">How many write requests it took (limits split large contents).</param>
public sealed record NotionWriteResult(string PageId, string Url, int BlocksWritten, int Requests);

/// <summary>Helpers for Notion JSON.</summary>
internal static class NotionJson
{
    public static string? Str(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static bool? Bool(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : null;

    public static DateTimeOffset? Time(this JsonElement element, string name) =>
        element.Str(name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time) ? time : null;

    public static JsonElement Get(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;
}

/// <summary>Plain text of rich text and properties.</summary>
internal static class NotionText
{
    public static string Plain(JsonElement richText)
    {
        if (richText.ValueKind != JsonValueKind.Array)
        {
            return string.Empty;
        }

        var builder = new StringBuilder();
        foreach (var item in richText.EnumerateArray())
        {
            builder.Append(item.Str("plain_text") ?? item.Get("text").Str("content") ?? string.Empty);
        }

        return builder.ToString();
    }

    public static string PropertyText(JsonElement property)
    {
        var type = property.Str("type");
        if (type is null)
        {
            return string.Empty;
        }

        var value = property.Get(type);
        return type switch
        {
            "title" or "rich_text" => Plain(value),
            "number" => value.ValueKind == JsonValueKind.Number ? value.GetRawText() : string.Empty,
            "select" or "status" => value.Str("name") ?? string.Empty,
            "multi_select" => value.ValueKind == JsonValueKind.Array ? string.Join(", ", value.EnumerateArray().Select(v => v.Str("name"))) : string.Empty,
            "date" => value.Str("start") is { } start ? (value.Str("end") is { } end ? $"{start} → {end}" : start) : string.Empty,
            "checkbox" => value.ValueKind == JsonValueKind.True ? "true" : "false",
            "url" or "email" or "phone_number" or "created_time" or "last_edited_time" => value.ValueKind == JsonValueKind.String ? value.GetString()! : string.Empty,
            "people" => value.ValueKind == JsonValueKind.Array ? string.Join(", ", value.EnumerateArray().Select(p => p.Str("name") ?? p.Str("id"))) : string.Empty,
            "created_by" or "last_edited_by" => value.Str("name") ?? value.Str("id") ?? string.Empty,
            "relation" => value.ValueKind == JsonValueKind.Array ? string.Join(", ", value.EnumerateArray().Select(p => p.Str("id"))) : string.Empty,
            "files" => value.ValueKind == JsonValueKind.Array ? string.Join(", ", value.EnumerateArray().Select(f => f.Str("name"))) : string.Empty,
            "unique_id" => value.ValueKind == JsonValueKind.Object ? $"{value.Str("prefix")}{(value.Str("prefix") is null ? string.Empty : "-")}{value.Get("number").GetRawTextOrEmpty()}" : string.Empty,
            "formula" => value.Str("type") is { } ft ? ScalarText(value.Get(ft)) : string.Empty,
            "rollup" => value.Str("type") is { } rt ? (rt == "array" ? $"{value.Get("array").GetArrayLength()} items" : ScalarText(value.Get(rt))) : string.Empty,
            _ => string.Empty,
        };
    }

    private static string ScalarText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Object => value.Str("start") ?? string.Empty,
        _ => string.Empty,
    };

    private static string GetRawTextOrEmpty(this JsonElement value) => value.ValueKind == JsonValueKind.Number ? value.GetRawText() : string.Empty;
}
