using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Net.Http.Headers;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace SkAgents.Mcp.AspNetCore;

/// <summary>
/// The MCP streamable HTTP transport on one endpoint: POST carries client messages (answered as an SSE stream, or 202
/// for notifications and responses), GET opens the session's stream for server-initiated messages, DELETE ends the
/// session. Sessions are named by the <c>Mcp-Session-Id</c> header that the initialize response hands out.
/// </summary>
internal sealed class McpStreamableHttpHandler : IAsyncDisposable
{
    internal const string SessionIdHeader = "Mcp-Session-Id";
    internal const string ProtocolVersionHeader = "MCP-Protocol-Version";

    // The protocol revisions the SDK we build on speaks (its own list is internal).
    private static readonly string[] SupportedVersions = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"];

    private readonly Func<McpServerOptions> _createServerOptions;
    private readonly McpHttpOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly IServiceProvider? _services;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, McpHttpSession> _sessions = new(StringComparer.Ordinal);
    private readonly ITimer _sweeper;
    private readonly byte[]? _expectedAuthorization;

    public McpStreamableHttpHandler(Func<McpServerOptions> createServerOptions, McpHttpOptions options, ILoggerFactory? loggerFactory, IServiceProvider? services)
    {
        _createServerOptions = createServerOptions;
        _options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<McpStreamableHttpHandler>();
        _services = services;
        _time = options.TimeProvider ?? TimeProvider.System;
        _expectedAuthorization = string.IsNullOrEmpty(options.BearerToken) ? null : Encoding.UTF8.GetBytes("Bearer " + options.BearerToken);
        var sweepEvery = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, options.IdleTimeout.Ticks / 4));
        _sweeper = _time.CreateTimer(_ => _ = SweepIdleSessionsAsync(), null, sweepEvery, sweepEvery);
    }

    /// <summary>Gets the number of open sessions.</summary>
    public int SessionCount => _sessions.Count;

    public async Task HandleAsync(HttpContext context)
    {
        if (!IsAuthorized(context.Request))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await WriteErrorAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized: send the server's token as 'Authorization: Bearer <token>'.").ConfigureAwait(false);
            return;
        }

        if (!IsOriginAllowed(context.Request))
        {
            await WriteErrorAsync(context, StatusCodes.Status403Forbidden, "Forbidden: this Origin may not call the MCP endpoint.").ConfigureAwait(false);
            return;
        }

        var version = context.Request.Headers[ProtocolVersionHeader].ToString();
        if (version.Length > 0 && !SupportedVersions.Contains(version, StringComparer.Ordinal))
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"Bad Request: unsupported MCP-Protocol-Version '{version}'.").ConfigureAwait(false);
            return;
        }

        switch (context.Request.Method)
        {
            case "POST":
                await HandlePostAsync(context).ConfigureAwait(false);
                break;
            case "GET":
                await HandleGetAsync(context).ConfigureAwait(false);
                break;
            case "DELETE":
                await HandleDeleteAsync(context).ConfigureAwait(false);
                break;
            default:
                context.Response.Headers.Allow = "GET, POST, DELETE";
                await WriteErrorAsync(context, StatusCodes.Status405MethodNotAllowed, "Method Not Allowed: use POST, GET or DELETE.").ConfigureAwait(false);
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync().ConfigureAwait(false);
        foreach (var id in _sessions.Keys.ToList())
        {
            if (_sessions.TryRemove(id, out var session))
            {
                await session.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task HandlePostAsync(HttpContext context)
    {
        var accept = context.Request.GetTypedHeaders().Accept;
        if (!Accepts(accept, "application/json") || !Accepts(accept, "text/event-stream"))
        {
            await WriteErrorAsync(context, StatusCodes.Status406NotAcceptable, "Not Acceptable: the client must accept both application/json and text/event-stream.").ConfigureAwait(false);
            return;
        }

        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var contentType) ||
            !contentType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            await WriteErrorAsync(context, StatusCodes.Status415UnsupportedMediaType, "Unsupported Media Type: send the JSON-RPC message as application/json.").ConfigureAwait(false);
            return;
        }

        if (context.Request.ContentLength > _options.MaxRequestBytes)
        {
            await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, $"Payload Too Large: the limit is {_options.MaxRequestBytes} bytes.").ConfigureAwait(false);
            return;
        }

        JsonRpcMessage? message;
        try
        {
            using var body = new MemoryStream();
            await CopyLimitedAsync(context.Request.Body, body, _options.MaxRequestBytes, context.RequestAborted).ConfigureAwait(false);
            body.Position = 0;
            message = await JsonSerializer.DeserializeAsync(body, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage)), context.RequestAborted).ConfigureAwait(false) as JsonRpcMessage;
        }
        catch (InvalidDataException)
        {
            await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, $"Payload Too Large: the limit is {_options.MaxRequestBytes} bytes.").ConfigureAwait(false);
            return;
        }
        catch (JsonException ex)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"Parse error: the body is not one JSON-RPC message ({ex.Message}).", (int)McpErrorCode.ParseError).ConfigureAwait(false);
            return;
        }

        if (message is null)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "Bad Request: the body is not a JSON-RPC message.", (int)McpErrorCode.InvalidRequest).ConfigureAwait(false);
            return;
        }

        var sessionId = context.Request.Headers[SessionIdHeader].ToString();
        McpHttpSession? session;
        if (sessionId.Length == 0)
        {
            if (message is not JsonRpcRequest { Method: var method } || method != RequestMethods.Initialize)
            {
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"Bad Request: no {SessionIdHeader} header; start a session with an initialize request.").ConfigureAwait(false);
                return;
            }

            session = await CreateSessionAsync(context).ConfigureAwait(false);
            if (session is null)
            {
                return;
            }
        }
        else
        {
            session = await FindSessionAsync(context, sessionId).ConfigureAwait(false);
            if (session is null)
            {
                return;
            }
        }

        session.Touch(_time.GetUtcNow());
        context.Response.Headers[SessionIdHeader] = session.Id;
        StartEventStream(context);
        using var aborted = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, session.Stopping);
        var wroteResponse = await session.Transport.HandlePostRequestAsync(message, context.Response.Body, aborted.Token).ConfigureAwait(false);
        if (!wroteResponse)
        {
            // A notification or a response to the server's own request: accepted, nothing to send back.
            context.Response.Headers.ContentType = default;
            context.Response.Headers.CacheControl = default;
            context.Response.StatusCode = StatusCodes.Status202Accepted;
        }
    }

    private async Task HandleGetAsync(HttpContext context)
    {
        if (!Accepts(context.Request.GetTypedHeaders().Accept, "text/event-stream"))
        {
            await WriteErrorAsync(context, StatusCodes.Status406NotAcceptable, "Not Acceptable: the client must accept text/event-stream.").ConfigureAwait(false);
            return;
        }

        var session = await FindSessionAsync(context, context.Request.Headers[SessionIdHeader].ToString()).ConfigureAwait(false);
        if (session is null)
        {
            return;
        }

        if (!session.TryOpenGetStream())
        {
            await WriteErrorAsync(context, StatusCodes.Status409Conflict, "Conflict: this session already has an open GET stream.").ConfigureAwait(false);
            return;
        }

        try
        {
            session.Touch(_time.GetUtcNow());
            context.Response.Headers[SessionIdHeader] = session.Id;
            StartEventStream(context);
            // Send the headers now: server messages may not come for a long time.
            await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            using var aborted = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, session.Stopping);
            await session.Transport.HandleGetRequestAsync(context.Response.Body, aborted.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client went away or the session closed: the stream simply ends.
        }
        finally
        {
            session.CloseGetStream();
        }
    }

    private async Task HandleDeleteAsync(HttpContext context)
    {
        var session = await FindSessionAsync(context, context.Request.Headers[SessionIdHeader].ToString()).ConfigureAwait(false);
        if (session is null)
        {
            return;
        }

        if (_sessions.TryRemove(session.Id, out _))
        {
            await session.DisposeAsync().ConfigureAwait(false);
            _logger.LogInformation("MCP session {Session} closed by the client.", session.Id);
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private async Task<McpHttpSession?> CreateSessionAsync(HttpContext context)
    {
        if (_sessions.Count >= _options.MaxSessions)
        {
            context.Response.Headers.RetryAfter = "60";
            await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, $"Service Unavailable: {_options.MaxSessions} sessions are open; close one or retry later.").ConfigureAwait(false);
            return null;
        }

        var id = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(16));
        var transport = new StreamableHttpServerTransport(_loggerFactory) { SessionId = id };
        McpServer server;
        try
        {
            server = McpServer.Create(transport, _createServerOptions(), _loggerFactory, _services);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            _logger.LogError(ex, "Could not start an MCP session.");
            await WriteErrorAsync(context, StatusCodes.Status500InternalServerError, "Internal error: the server could not start a session: " + ex.Message, (int)McpErrorCode.InternalError).ConfigureAwait(false);
            return null;
        }

        var session = new McpHttpSession(id, transport, server, _time.GetUtcNow());
        _sessions[id] = session;
        _logger.LogInformation("MCP session {Session} opened.", id);
        return session;
    }

    private async Task<McpHttpSession?> FindSessionAsync(HttpContext context, string sessionId)
    {
        if (sessionId.Length == 0)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"Bad Request: the {SessionIdHeader} header is missing.").ConfigureAwait(false);
            return null;
        }

        if (_sessions.TryGetValue(sessionId, out var session))
        {
            return session;
        }

        // 404 tells the client to start a new session (the spec's rule for ended or unknown sessions).
        await WriteErrorAsync(context, StatusCodes.Status404NotFound, "Not Found: no such session (it ended or never existed); start a new one.", -32001).ConfigureAwait(false);
        return null;
    }

    private async Task SweepIdleSessionsAsync()
    {
        var cutoff = _time.GetUtcNow() - _options.IdleTimeout;
        foreach (var session in _sessions.Values)
        {
            if (session.LastUsed < cutoff && _sessions.TryRemove(session.Id, out _))
            {
                _logger.LogInformation("MCP session {Session} closed after {Idle} idle.", session.Id, _options.IdleTimeout);
                try
                {
                    await session.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    _logger.LogWarning(ex, "Closing idle MCP session {Session} failed.", session.Id);
                }
            }
        }
    }

    private bool IsAuthorized(HttpRequest request)
    {
        if (_expectedAuthorization is null)
        {
            return true;
        }

        var given = Encoding.UTF8.GetBytes(request.Headers.Authorization.ToString());
        return CryptographicOperations.FixedTimeEquals(given, _expectedAuthorization);
    }

    private bool IsOriginAllowed(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return true;
        }

        if (_options.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase))
        {
            return true;
        }

        return Uri.TryCreate(origin, UriKind.Absolute, out var uri) &&
            (uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ||
             (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address)));
    }

    private static bool Accepts(IList<MediaTypeHeaderValue> accept, string mediaType) =>
        accept.Any(a => a.MediaType.Equals(mediaType, StringComparison.OrdinalIgnoreCase) ||
            a.MediaType.Equals("*/*", StringComparison.Ordinal) ||
            (a.MediaType.EndsWith("/*", StringComparison.Ordinal) && mediaType.StartsWith(a.MediaType.Value![..^1], StringComparison.OrdinalIgnoreCase)));

    private static void StartEventStream(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache, no-store";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    private static async Task CopyLimitedAsync(Stream source, Stream destination, long limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total > limit)
            {
                throw new InvalidDataException("The request body is over the limit.");
            }

            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, string message, int code = -32000)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var error = new JsonRpcError { Error = new JsonRpcErrorDetail { Code = code, Message = message } };
        await JsonSerializer.SerializeAsync(context.Response.Body, error, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcError)), context.RequestAborted).ConfigureAwait(false);
    }
}
