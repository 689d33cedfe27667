using System.Net;

namespace SkAgents.Web;

/// <summary>Resolves a host name to IP addresses (DNS). Every address returned is checked by the address guard.</summary>
public interface IHostResolver
{
    /// <summary>Resolves <paramref name="host"/>.</summary>
    /// <param name="host">The host name (never an IP literal).</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The addresses; empty when the name does not exist.</returns>
    ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>The system resolver.</summary>
internal sealed class SystemHostResolver : IHostResolver
{
    public static SystemHostResolver Instance { get; } = new();

    public async ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken) =>
        await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
}
