using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

using SkAgents.Testing;

namespace SkAgents.Memory.Weaviate.Tests;

/// <summary>A request the fake server received.</summary>
public sealed record RecordedWeaviateRequest(string Method, string Path, string Query, string? Authorization, string Body)
{
    /// <summary>Gets the body as JSON (null when empty or not JSON).</summary>
    public JsonNode? Json
    {
        get
        {
            try
            {
                return string.IsNullOrWhiteSpace(Body) ? null : JsonNode.Parse(Body);
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}

/// <summary>
/// A protocol-faithful subset of Weaviate's REST + GraphQL API on 127.0.0.1 (Kestrel, ephemeral port), for tests:
/// <c>GET /v1/.well-known/ready|live</c>, <c>GET /v1/meta</c>, <c>GET/POST /v1/schema</c>, <c>GET/DELETE
/// /v1/schema/{class}</c> (422 on duplicate or invalid class names, auto-schema off), <c>GET /v1/objects/{class}/{id}</c>,
/// <c>POST /v1/batch/objects</c> (HTTP 200 with per-object <c>result.errors</c>), <c>DELETE /v1/batch/objects</c>
/// (match.where), and <c>POST /v1/graphql</c> <c>Get</c> with <c>nearVector</c> (cosine distance), <c>bm25</c>
/// (BM25, k1 1.2, b 0.75, word tokenization, English stopwords), <c>hybrid</c> (relativeScoreFusion or rankedFusion),
/// <c>where</c>, <c>limit</c>, <c>offset</c> and <c>_additional { id distance score vector }</c>; query errors come
/// back as HTTP 200 with an <c>errors</c> array. API-key auth (<c>Authorization: Bearer</c>, 401) and fault injection.
/// </summary>
public sealed class FakeWeaviateServer : IAsyncDisposable
{
    private const int MaximumResults = 10_000;
    private static readonly Regex ClassNameRule = new("^[A-Z][_0-9A-Za-z]*$", RegexOptions.CultureInvariant);
    private static readonly Regex PropertyNameRule = new("^[_A-Za-z][_0-9A-Za-z]*$", RegexOptions.CultureInvariant);
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not", "of",
        "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will", "with",
    };

    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly List<RecordedWeaviateRequest> _requests = [];
    private readonly Dictionary<string, JsonObject> _classes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedDictionary<string, StoredObject>> _objects = new(StringComparer.Ordinal);

    private FakeWeaviateServer(WebApplication app, string? apiKey)
    {
        _app = app;
        ApiKey = apiKey;
    }

    /// <summary>Gets the server root, e.g. <c>http://127.0.0.1:54321/</c>.</summary>
    public Uri RootUri { get; private set; } = null!;

    /// <summary>Gets the API key required on every non-well-known call, or null for anonymous access.</summary>
    public string? ApiKey { get; }

    /// <summary>Gets or sets whether <c>/v1/.well-known/ready</c> answers 200 (else 503).</summary>
    public bool Ready { get; set; } = true;

    /// <summary>Gets or sets a fault: return an HTTP status to answer a request with instead of serving it.</summary>
    public Func<RecordedWeaviateRequest, int?>? RequestFault { get; set; }

    /// <summary>Gets or sets a per-object batch import fault: return an error message to fail that object.</summary>
    public Func<JsonObject, string?>? ObjectFault { get; set; }

    /// <summary>Gets a snapshot of the requests received.</summary>
    public IReadOnlyList<RecordedWeaviateRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Gets how many objects a class holds (0 when it does not exist).</summary>
    /// <param name="className">The class.</param>
    /// <returns>The count.</returns>
    public int ObjectCount(string className)
    {
        lock (_gate)
        {
            return _objects.TryGetValue(className, out var objs) ? objs.Count : 0;
        }
    }

    /// <summary>Gets a class definition as stored, or null.</summary>
    /// <param name="className">The class.</param>
    /// <returns>A copy of the definition.</returns>
    public JsonObject? GetClass(string className)
    {
        lock (_gate)
        {
            return _classes.TryGetValue(className, out var c) ? (JsonObject)c.DeepClone() : null;
        }
    }

    /// <summary>Starts a server.</summary>
    /// <param name="apiKey">The API key to require, or null.</param>
    /// <returns>The running server.</returns>
    public static async Task<FakeWeaviateServer> StartAsync(string? apiKey = null)
    {
        FakeWeaviateServer? server = null;
        var (_, roots) = await LoopbackKestrel.StartAsync(app => (server = new FakeWeaviateServer(app, apiKey)).HandleAsync);
        server!.RootUri = roots[0];
        return server;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync();
        }

        string path = context.Request.Path.Value ?? "/";
        var recorded = new RecordedWeaviateRequest(context.Request.Method, path, context.Request.QueryString.Value ?? string.Empty, context.Request.Headers.Authorization.FirstOrDefault(), body);
        lock (_gate)
        {
            _requests.Add(recorded);
        }

        (int status, JsonNode? json) = Route(recorded, context.Request.Query);
        context.Response.StatusCode = status;
        if (json is not null)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(json.ToJsonString());
        }
    }

    private (int Status, JsonNode? Json) Route(RecordedWeaviateRequest r, IQueryCollection query)
    {
        if (r.Path is "/v1/.well-known/ready")
        {
            return (Ready ? 200 : 503, null);
        }

        if (r.Path is "/v1/.well-known/live")
        {
            return (200, null);
        }

        if (ApiKey is not null && r.Authorization != "Bearer " + ApiKey)
        {
            return (401, new JsonObject
            {
                ["code"] = 401,
                ["message"] = r.Authorization is null
                    ? "anonymous access not enabled, please provide an auth scheme such as OIDC"
                    : "unauthorized: invalid api key: key not found",
            });
        }

        if (RequestFault?.Invoke(r) is { } fault)
        {
            return (fault, Error("injected fault"));
        }

        JsonNode? json;
        try
        {
            json = r.Json;
        }
        catch (JsonException)
        {
            return (400, Error("invalid JSON body"));
        }

        string[] seg = r.Path.Trim('/').Split('/');
        lock (_gate)
        {
            return (r.Method, seg) switch
            {
                ("GET", ["v1", "meta"]) => (200, new JsonObject { ["hostname"] = "http://[::]:8080", ["version"] = "1.38.0-fake", ["modules"] = new JsonObject() }),
                ("GET", ["v1", "schema"]) => (200, new JsonObject { ["classes"] = new JsonArray([.. _classes.Values.Select(c => c.DeepClone())]) }),
                ("POST", ["v1", "schema"]) => CreateClass(json as JsonObject),
                ("GET", ["v1", "schema", var c]) => _classes.TryGetValue(c, out var def) ? (200, def.DeepClone()) : (404, null),
                ("DELETE", ["v1", "schema", var c]) => DeleteClass(c),
                ("GET", ["v1", "objects", var c, var id]) => GetObject(c, id, query["include"].ToString().Contains("vector", StringComparison.Ordinal)),
                ("POST", ["v1", "batch", "objects"]) => BatchInsert(json as JsonObject),
                ("DELETE", ["v1", "batch", "objects"]) => BatchDelete(json as JsonObject),
                ("POST", ["v1", "graphql"]) => GraphQL(json as JsonObject),
                _ => (404, null),
            };
        }
    }

    private static JsonObject Error(string message) => new() { ["error"] = new JsonArray(new JsonObject { ["message"] = message }) };

    private (int, JsonNode?) CreateClass(JsonObject? def)
    {
        string? name = def?["class"]?.GetValue<string>();
        if (def is null || string.IsNullOrEmpty(name))
        {
            return (422, Error("class name is required"));
        }

        if (!ClassNameRule.IsMatch(name))
        {
            return (422, Error($"'{name}' is not a valid class name"));
        }

        if (_classes.Keys.Any(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)))
        {
            return (422, Error($"class name \"{name}\" already exists"));
        }

        var props = def["properties"] as JsonArray ?? [];
        foreach (JsonNode? p in props)
        {
            string? pn = p?["name"]?.GetValue<string>();
            string? dt = (p?["dataType"] as JsonArray)?.FirstOrDefault()?.GetValue<string>();
            if (pn is null || !PropertyNameRule.IsMatch(pn))
            {
                return (422, Error($"'{pn}' is not a valid property name"));
            }

            if (dt is not ("text" or "text[]" or "int" or "int[]" or "number" or "number[]" or "boolean" or "date" or "uuid"))
            {
                return (422, Error($"property '{pn}': invalid dataType: '{dt}'"));
            }
        }

        var stored = (JsonObject)def.DeepClone();
        stored["vectorizer"] ??= "none";
        stored["vectorIndexType"] ??= "hnsw";
        stored["vectorIndexConfig"] ??= new JsonObject { ["distance"] = "cosine" };
        _classes[name] = stored;
        _objects[name] = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
        return (200, stored.DeepClone());
    }

    private (int, JsonNode?) DeleteClass(string cls)
    {
        _classes.Remove(cls);
        _objects.Remove(cls);
        return (200, null);
    }

    private (int, JsonNode?) GetObject(string cls, string id, bool includeVector)
    {
        if (!_objects.TryGetValue(cls, out var objs) || !objs.TryGetValue(id.ToLowerInvariant(), out var o))
        {
            return (404, null);
        }

        var result = new JsonObject
        {
            ["class"] = cls,
            ["id"] = o.Id,
            ["properties"] = o.Properties.DeepClone(),
            ["creationTimeUnix"] = o.Created,
            ["lastUpdateTimeUnix"] = o.Created,
        };
        if (includeVector && o.Vector is not null)
        {
            result["vector"] = VectorJson(o.Vector);
        }

        return (200, result);
    }

    private (int, JsonNode?) BatchInsert(JsonObject? body)
    {
        if (body?["objects"] is not JsonArray objects)
        {
            return (422, Error("objects is required"));
        }

        var results = new JsonArray();
        foreach (JsonNode? node in objects)
        {
            var echo = (JsonObject)(node?.DeepClone() ?? new JsonObject());
            string? error = node is JsonObject obj ? ValidateAndStore(obj) : "object must be a JSON object";
            echo["creationTimeUnix"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            echo["result"] = error is null
                ? new JsonObject { ["status"] = "SUCCESS" }
                : new JsonObject { ["status"] = "FAILED", ["errors"] = Error(error) };
            results.Add(echo);
        }

        return (200, results);
    }

    private string? ValidateAndStore(JsonObject obj)
    {
        string? cls = obj["class"]?.GetValue<string>();
        if (cls is null || !_classes.TryGetValue(cls, out var def))
        {
            return $"class \"{cls}\" not found in schema (auto-schema is disabled)";
        }

        if (ObjectFault?.Invoke(obj) is { } injected)
        {
            return injected;
        }

        var known = PropertyTypes(def);
        var props = obj["properties"] as JsonObject ?? [];
        foreach (var (name, value) in props)
        {
            if (!known.TryGetValue(name, out string? type))
            {
                return $"no such prop with name '{name}' found in class '{cls}' in the schema. Check your schema files for which properties in this class are available";
            }

            bool ok = type switch
            {
                "text" or "date" or "uuid" => value is JsonValue v && v.GetValueKind() == JsonValueKind.String,
                "int" or "number" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number,
                "text[]" => value is JsonArray a && a.All(x => x is JsonValue xv && xv.GetValueKind() == JsonValueKind.String),
                _ => true,
            };
            if (!ok && value is not null)
            {
                return $"invalid {type} property '{name}' on class '{cls}'";
            }
        }

        float[]? vector = null;
        if (obj["vector"] is JsonArray va && va.Count > 0)
        {
            vector = [.. va.Select(x => (float)x!.GetValue<double>())];
            int? dims = _objects[cls].Values.FirstOrDefault(o => o.Vector is not null)?.Vector!.Length;
            if (dims is { } d && d != vector.Length)
            {
                return $"new node has a vector with length {vector.Length}. Existing nodes have vectors with length {d}";
            }
        }

        string id = (obj["id"]?.GetValue<string>() ?? Guid.NewGuid().ToString("D")).ToLowerInvariant();
        if (!Guid.TryParse(id, out _))
        {
            return $"id '{id}' is not a valid uuid";
        }

        _objects[cls][id] = new StoredObject(id, (JsonObject)props.DeepClone(), vector, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        return null;
    }

    private (int, JsonNode?) BatchDelete(JsonObject? body)
    {
        JsonNode? match = body?["match"];
        string? cls = match?["class"]?.GetValue<string>();
        if (cls is null || !_classes.TryGetValue(cls, out _))
        {
            return (422, Error($"validate: class: {cls} doesn't exist"));
        }

        if (match?["where"] is not JsonObject where)
        {
            return (422, Error("validate: invalid where filter: filter must not be empty"));
        }

        bool dryRun = body?["dryRun"]?.GetValue<bool>() == true;
        List<StoredObject> hits;
        try
        {
            hits = [.. _objects[cls].Values.Where(o => Eval(cls, where, o, rest: true)).Take(MaximumResults)];
        }
        catch (WhereException ex)
        {
            return (422, Error(ex.Message));
        }

        if (!dryRun)
        {
            foreach (var o in hits)
            {
                _objects[cls].Remove(o.Id);
            }
        }

        return (200, new JsonObject
        {
            ["match"] = match.DeepClone(),
            ["output"] = body?["output"]?.DeepClone() ?? "minimal",
            ["dryRun"] = dryRun,
            ["deletionTimeUnixMilli"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            ["results"] = new JsonObject
            {
                ["matches"] = hits.Count,
                ["limit"] = MaximumResults,
                ["successful"] = dryRun ? 0 : hits.Count,
                ["failed"] = 0,
            },
        });
    }

    private (int, JsonNode?) GraphQL(JsonObject? body)
    {
        string? query = body?["query"]?.GetValue<string>();
        if (string.IsNullOrEmpty(query))
        {
            return (422, Error("query is required"));
        }

        List<GqlField> top;
        try
        {
            top = MiniGraphQL.Parse(query);
        }
        catch (FormatException ex)
        {
            return (200, GqlErrors(ex.Message, 1, 1, null));
        }

        if (top.Count != 1 || top[0].Name != "Get")
        {
            return (200, GqlErrors($"Cannot query field \"{top.FirstOrDefault()?.Name}\" on type \"WeaviateObj\".", 1, 1, null));
        }

        var get = new JsonObject();
        foreach (GqlField f in top[0].Selection)
        {
            try
            {
                get[f.Name] = RunGet(f);
            }
            catch (GqlException ex)
            {
                get[f.Name] = null;
                var data = new JsonObject { ["Get"] = get };
                var errors = GqlErrors(ex.Message, f.Line, f.Column, f.Name);
                errors["data"] = data;
                return (200, errors);
            }
        }

        return (200, new JsonObject { ["data"] = new JsonObject { ["Get"] = get } });
    }

    private static JsonObject GqlErrors(string message, int line, int column, string? cls) => new()
    {
        ["errors"] = new JsonArray(new JsonObject
        {
            ["locations"] = new JsonArray(new JsonObject { ["column"] = column, ["line"] = line }),
            ["message"] = message,
            ["path"] = cls is null ? null : new JsonArray("Get", cls),
        }),
    };

    private JsonArray RunGet(GqlField f)
    {
        string cls = f.Name;
        if (!_classes.TryGetValue(cls, out var def))
        {
            throw new GqlException($"Cannot query field \"{cls}\" on type \"GetObjectsObj\".");
        }

        var known = PropertyTypes(def);
        string[] allowedArgs = ["limit", "offset", "where", "nearVector", "bm25", "hybrid", "autocut", "after", "sort", "tenant"];
        foreach (string a in f.Arguments.Keys)
        {
            if (!allowedArgs.Contains(a))
            {
                throw new GqlException($"Unknown argument \"{a}\" on field \"{cls}\" of type \"GetObjectsObj\".");
            }
        }

        foreach (GqlField sel in f.Selection)
        {
            if (sel.Name != "_additional" && !known.ContainsKey(sel.Name))
            {
                throw new GqlException($"Cannot query field \"{sel.Name}\" on type \"{cls}\".");
            }
        }

        if (new[] { "nearVector", "bm25", "hybrid" }.Count(f.Arguments.ContainsKey) > 1)
        {
            throw new GqlException("explorer: get class: vector search: object vector search: only one of nearVector, bm25 and hybrid can be used");
        }

        int limit = f.Arguments.TryGetValue("limit", out var l) ? Convert.ToInt32(l, CultureInfo.InvariantCulture) : 10;
        int offset = f.Arguments.TryGetValue("offset", out var off) ? Convert.ToInt32(off, CultureInfo.InvariantCulture) : 0;
        if (limit + offset > MaximumResults)
        {
            throw new GqlException($"explorer: list class: search: invalid pagination params: query maximum results exceeded");
        }

        JsonObject? where = null;
        if (f.Arguments.TryGetValue("where", out var w))
        {
            ValidateEnums(w, "operator");
            where = ToJson(w) as JsonObject;
        }

        var all = _objects[cls].Values.ToList();
        List<StoredObject> candidates;
        try
        {
            candidates = where is null ? all : [.. all.Where(o => Eval(cls, where, o, rest: false))];
        }
        catch (WhereException ex)
        {
            throw new GqlException("invalid 'where' filter: " + ex.Message);
        }

        List<(StoredObject O, double? Distance, double? Score)> ranked;
        if (f.Arguments.TryGetValue("nearVector", out var nv))
        {
            var args = (Dictionary<string, object?>)nv!;
            float[] q = ToVector(args.GetValueOrDefault("vector"));
            double? maxDistance = args.TryGetValue("distance", out var md) ? Convert.ToDouble(md, CultureInfo.InvariantCulture) : null;
            ranked = [.. VectorSearch(cls, candidates, q).Where(x => maxDistance is null || x.Distance <= maxDistance).Select(x => (x.O, (double?)x.Distance, (double?)null))];
        }
        else if (f.Arguments.TryGetValue("bm25", out var b))
        {
            var args = (Dictionary<string, object?>)b!;
            string q = args.GetValueOrDefault("query") as string ?? string.Empty;
            var props = (args.GetValueOrDefault("properties") as List<object?>)?.Cast<string>().ToList() ?? SearchableText(def);
            ranked = [.. Bm25(all, candidates, q, props).Select(x => (x.O, (double?)null, (double?)x.Score))];
        }
        else if (f.Arguments.TryGetValue("hybrid", out var h))
        {
            var args = (Dictionary<string, object?>)h!;
            ValidateEnums(args, "fusionType");
            string q = args.GetValueOrDefault("query") as string ?? string.Empty;
            double alpha = args.TryGetValue("alpha", out var al) ? Convert.ToDouble(al, CultureInfo.InvariantCulture) : 0.75;
            if (!args.TryGetValue("vector", out var hv) || hv is null)
            {
                throw new GqlException($"explorer: get class: vectorize search vector: vectorize params: could not vectorize input for collection {cls} with search-type hybrid. Make sure a vectorizer module is configured for this collection");
            }

            string fusion = (args.GetValueOrDefault("fusionType") as GqlEnumValue)?.Name ?? "relativeScoreFusion";
            var props = (args.GetValueOrDefault("properties") as List<object?>)?.Cast<string>().ToList() ?? SearchableText(def);
            var kw = Bm25(all, candidates, q, props);
            var vec = VectorSearch(cls, candidates, ToVector(hv));
            var fused = new Dictionary<string, (StoredObject O, double Score)>(StringComparer.Ordinal);
            void Add(StoredObject o, double s)
            {
                fused[o.Id] = (o, (fused.TryGetValue(o.Id, out var e) ? e.Score : 0) + s);
            }

            if (fusion == "rankedFusion")
            {
                for (int i = 0; i < kw.Count; i++)
                {
                    Add(kw[i].O, (1 - alpha) / (i + 60));
                }

                for (int i = 0; i < vec.Count; i++)
                {
                    Add(vec[i].O, alpha / (i + 60));
                }
            }
            else
            {
                Normalize(kw.Select(x => (x.O, x.Score)).ToList(), 1 - alpha, Add);
                Normalize(vec.Select(x => (x.O, 1 - x.Distance)).ToList(), alpha, Add);
            }

            ranked = [.. fused.Values.OrderByDescending(x => x.Score).ThenBy(x => x.O.Id, StringComparer.Ordinal).Select(x => (x.O, (double?)null, (double?)x.Score))];
        }
        else
        {
            ranked = [.. candidates.Select(o => (o, (double?)null, (double?)null))];
        }

        var result = new JsonArray();
        foreach (var (o, distance, score) in ranked.Skip(offset).Take(limit))
        {
            var item = new JsonObject();
            foreach (GqlField sel in f.Selection)
            {
                if (sel.Name == "_additional")
                {
                    var add = new JsonObject();
                    foreach (GqlField a in sel.Selection)
                    {
                        add[a.Name] = a.Name switch
                        {
                            "id" => o.Id,
                            "distance" => distance is { } d ? JsonValue.Create(d) : null,
                            "score" => score is { } s ? s.ToString("R", CultureInfo.InvariantCulture) : null,
                            "vector" => o.Vector is null ? null : VectorJson(o.Vector),
                            "creationTimeUnix" => o.Created.ToString(CultureInfo.InvariantCulture),
                            _ => throw new GqlException($"Cannot query field \"{a.Name}\" on type \"{cls}AdditionalFields\"."),
                        };
                    }

                    item["_additional"] = add;
                }
                else
                {
                    item[sel.Name] = o.Properties[sel.Name]?.DeepClone();
                }
            }

            result.Add(item);
        }

        return result;
    }

    private static void Normalize(List<(StoredObject O, double Score)> set, double weight, Action<StoredObject, double> add)
    {
        if (set.Count == 0)
        {
            return;
        }

        double min = set.Min(x => x.Score), max = set.Max(x => x.Score);
        foreach (var (o, s) in set)
        {
            add(o, max - min == 0 ? weight : weight * (s - min) / (max - min));
        }
    }

    private List<(StoredObject O, double Distance)> VectorSearch(string cls, List<StoredObject> candidates, float[] q)
    {
        int? dims = _objects[cls].Values.FirstOrDefault(o => o.Vector is not null)?.Vector!.Length;
        if (dims is { } d && d != q.Length)
        {
            throw new GqlException($"explorer: get class: vector search: object vector search at index {cls.ToLowerInvariant()}: shard: vector search: knn search: distance between entrypoint and query node: vector lengths don't match: {d} vs {q.Length}");
        }

        return [.. candidates.Where(o => o.Vector is not null)
            .Select(o => (O: o, Distance: CosineDistance(q, o.Vector!)))
            .OrderBy(x => x.Distance).ThenBy(x => x.O.Id, StringComparer.Ordinal)];
    }

    private static double CosineDistance(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return na == 0 || nb == 0 ? 1 : 1 - (dot / Math.Sqrt(na * nb));
    }

    private static List<string> Tokenize(string? text) =>
        text is null ? [] : [.. Regex.Split(text.ToLowerInvariant(), "[^\\p{L}\\p{N}]+").Where(t => t.Length > 0)];

    private static List<(StoredObject O, double Score)> Bm25(List<StoredObject> all, List<StoredObject> candidates, string query, List<string> props)
    {
        const double K1 = 1.2, B = 0.75;
        var terms = Tokenize(query).Where(t => !StopWords.Contains(t)).Distinct().ToList();
        if (terms.Count == 0)
        {
            return [];
        }

        props = [.. props.Select(p => p.Split('^')[0])];
        var docs = all.ToDictionary(o => o.Id, o => props.SelectMany(p => Tokenize(TextOf(o.Properties[p]))).ToList(), StringComparer.Ordinal);
        double avgdl = docs.Count == 0 ? 0 : docs.Values.Average(d => d.Count);
        int n = docs.Count;
        var results = new List<(StoredObject, double)>();
        foreach (StoredObject o in candidates)
        {
            List<string> tokens = docs[o.Id];
            double score = 0;
            foreach (string t in terms)
            {
                int tf = tokens.Count(x => x == t);
                if (tf == 0)
                {
                    continue;
                }

                int df = docs.Values.Count(d => d.Contains(t));
                double idf = Math.Log(1 + ((n - df + 0.5) / (df + 0.5)));
                score += idf * tf * (K1 + 1) / (tf + (K1 * (1 - B + (B * tokens.Count / avgdl))));
            }

            if (score > 0)
            {
                results.Add((o, score));
            }
        }

        return [.. results.OrderByDescending(x => x.Item2).ThenBy(x => x.Item1.Id, StringComparer.Ordinal)];
    }

    private static string? TextOf(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonArray a => string.Join(' ', a.Select(TextOf)),
        _ => null,
    };

    private static List<string> SearchableText(JsonObject def) =>
        [.. (def["properties"] as JsonArray ?? []).Where(p => p?["dataType"]?[0]?.GetValue<string>() is "text" or "text[]" && p?["indexSearchable"]?.GetValue<bool>() != false).Select(p => p!["name"]!.GetValue<string>())];

    private static Dictionary<string, string> PropertyTypes(JsonObject def) =>
        (def["properties"] as JsonArray ?? []).Where(p => p is not null)
            .ToDictionary(p => p!["name"]!.GetValue<string>(), p => p!["dataType"]![0]!.GetValue<string>(), StringComparer.Ordinal);

    private bool Eval(string cls, JsonObject where, StoredObject o, bool rest)
    {
        string op = where["operator"]?.GetValue<string>() ?? throw new WhereException("operator is required");
        var operands = where["operands"] as JsonArray;
        switch (op)
        {
            case "And":
                return operands is { Count: > 0 } ? operands.All(x => Eval(cls, (JsonObject)x!, o, rest)) : throw new WhereException("And needs operands");
            case "Or":
                return operands is { Count: > 0 } ? operands.Any(x => Eval(cls, (JsonObject)x!, o, rest)) : throw new WhereException("Or needs operands");
            case "Not":
                return operands is { Count: > 0 } ? !operands.All(x => Eval(cls, (JsonObject)x!, o, rest)) : throw new WhereException("Not needs operands");
        }

        string prop = (where["path"] as JsonArray)?.FirstOrDefault()?.GetValue<string>() ?? throw new WhereException("path is required");
        var types = PropertyTypes(_classes[cls]);
        JsonNode? actual;
        if (prop == "id")
        {
            actual = o.Id;
        }
        else if (types.ContainsKey(prop))
        {
            actual = o.Properties[prop];
        }
        else
        {
            throw new WhereException($"no such prop with name '{prop}' found in class '{cls}' in the schema. Check your schema files for which properties in this class are available");
        }

        JsonNode? expected = null;
        string[] valueKeys = rest
            ? ["valueText", "valueString", "valueInt", "valueNumber", "valueBoolean", "valueDate", "valueTextArray", "valueIntArray", "valueNumberArray", "valueStringArray"]
            : ["valueText", "valueString", "valueInt", "valueNumber", "valueBoolean", "valueDate"];
        foreach (string k in valueKeys)
        {
            if (where.ContainsKey(k))
            {
                expected = where[k];
                break;
            }
        }

        var actualValues = actual is JsonArray arr ? arr.ToList() : actual is null ? [] : [actual];
        var expectedValues = expected is JsonArray earr ? earr.ToList() : expected is null ? [] : [expected];
        return op switch
        {
            "Equal" => expectedValues.Count == 1 && actualValues.Any(a => Same(a, expectedValues[0])),
            "NotEqual" => expectedValues.Count == 1 && !actualValues.Any(a => Same(a, expectedValues[0])),
            "ContainsAny" => expectedValues.Any(e => actualValues.Any(a => Same(a, e))),
            "ContainsAll" => expectedValues.All(e => actualValues.Any(a => Same(a, e))),
            "ContainsNone" => !expectedValues.Any(e => actualValues.Any(a => Same(a, e))),
            "GreaterThan" => Compare(actual, expected) > 0,
            "GreaterThanEqual" => Compare(actual, expected) >= 0,
            "LessThan" => Compare(actual, expected) < 0,
            "LessThanEqual" => Compare(actual, expected) <= 0,
            "IsNull" => (actual is null) == (expected?.GetValue<bool>() ?? true),
            _ => throw new WhereException($"unsupported operator '{op}'"),
        };
    }

    private static bool Same(JsonNode? a, JsonNode? b) =>
        a is JsonValue av && b is JsonValue bv && (av.GetValueKind() == JsonValueKind.Number && bv.GetValueKind() == JsonValueKind.Number
            ? av.GetValue<double>() == bv.GetValue<double>()
            : string.Equals(av.ToString(), bv.ToString(), StringComparison.Ordinal));

    private static int Compare(JsonNode? a, JsonNode? b)
    {
        if (a is not JsonValue av || b is not JsonValue bv)
        {
            return int.MinValue / 2;
        }

        return av.GetValueKind() == JsonValueKind.Number && bv.GetValueKind() == JsonValueKind.Number
            ? av.GetValue<double>().CompareTo(bv.GetValue<double>())
            : string.CompareOrdinal(av.ToString(), bv.ToString());
    }

    private static void ValidateEnums(object? value, string key)
    {
        if (value is Dictionary<string, object?> d)
        {
            if (d.TryGetValue(key, out var v) && v is not GqlEnumValue)
            {
                throw new GqlException($"Argument has invalid value: In field \"{key}\": Expected type \"{(key == "operator" ? "WhereOperatorEnum" : "FusionType")}\", found {JsonSerializer.Serialize(v)}.");
            }

            foreach (object? child in d.Values)
            {
                ValidateEnums(child, key);
            }
        }
        else if (value is List<object?> l)
        {
            foreach (object? child in l)
            {
                ValidateEnums(child, key);
            }
        }
    }

    private static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        GqlEnumValue e => e.Name,
        string s => s,
        long n => n,
        double d => d,
        bool b => b,
        List<object?> l => new JsonArray([.. l.Select(ToJson)]),
        Dictionary<string, object?> d => new JsonObject(d.Select(kv => KeyValuePair.Create(kv.Key, ToJson(kv.Value)))),
        _ => throw new GqlException("unsupported value"),
    };

    private static float[] ToVector(object? value) =>
        value is List<object?> l ? [.. l.Select(x => (float)Convert.ToDouble(x, CultureInfo.InvariantCulture))] : throw new GqlException("vector must be a list of numbers");

    private static JsonArray VectorJson(float[] v) => new([.. v.Select(x => (JsonNode)JsonValue.Create(x))]);

    private sealed record StoredObject(string Id, JsonObject Properties, float[]? Vector, long Created);

    private sealed class GqlException(string message) : Exception(message);

    private sealed class WhereException(string message) : Exception(message);
}
