using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SkAgents.Testing;

/// <summary>
/// Starts the Kestrel app behind every protocol-faithful test server: listening on 127.0.0.1 only (ephemeral ports),
/// no logging, no Server header, a short shutdown, and one handler for every request.
/// </summary>
public static class LoopbackKestrel
{
    /// <summary>Builds and starts the app.</summary>
    /// <param name="handler">Makes the request handler, given the app (servers that keep the app create themselves here).</param>
    /// <param name="listeners">How many loopback sockets to open (each on its own ephemeral port).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running app and its root URLs (ending in '/'), ordered by port.</returns>
    public static async Task<(WebApplication App, IReadOnlyList<Uri> Roots)> StartAsync(
        Func<WebApplication, RequestDelegate> handler, int listeners = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfLessThan(listeners, 1);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(LoopbackKestrel).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            for (var i = 0; i < listeners; i++)
            {
                kestrel.Listen(IPAddress.Loopback, 0);
            }

            kestrel.AddServerHeader = false;
        });
        var app = builder.Build();
        app.Run(handler(app));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var roots = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses
            .Select(a => new Uri(a.EndsWith('/') ? a : a + "/"))
            .OrderBy(u => u.Port)
            .ToList();
        return (app, roots);
    }
}
