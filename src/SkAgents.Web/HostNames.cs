using System.Net;
using System.Net.Sockets;

namespace SkAgents.Web;

/// <summary>Host-name forms: IP literals in every notation a resolver might accept.</summary>
internal static class HostNames
{
    /// <summary>Lower case, without brackets and without a trailing dot.</summary>
    public static string Normalize(string host) => host.Trim().Trim('[', ']').TrimEnd('.').ToLowerInvariant();

    /// <summary>
    /// Parses a host that denotes an IP address: IPv6 (bracketed or not, zone id ignored) or IPv4 in dotted, decimal
    /// (<c>2130706433</c>), octal (<c>0177.0.0.1</c>), hex (<c>0x7f.1</c>) or short (<c>127.1</c>) notation, with or
    /// without a trailing dot. <see cref="Uri"/> already canonicalizes most of these; this also catches the forms it
    /// leaves as DNS names (<c>127.0.0.1.</c>) so that they never reach a resolver that would read them as addresses.
    /// </summary>
    public static bool TryParseAddress(string host, out IPAddress address)
    {
        address = IPAddress.None;
        var h = host.Trim();
        if (h.StartsWith('[') && h.EndsWith(']'))
        {
            h = h[1..^1];
        }

        if (h.Contains(':', StringComparison.Ordinal))
        {
            var zone = h.IndexOf('%', StringComparison.Ordinal);
            if (zone >= 0)
            {
                h = h[..zone];
            }

            if (IPAddress.TryParse(h, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6)
            {
                address = new IPAddress(v6.GetAddressBytes());
                return true;
            }

            return false;
        }

        h = h.TrimEnd('.');
        if (h.Length == 0 || !char.IsAsciiDigit(h[0]) || !h.All(c => char.IsAsciiHexDigit(c) || c is '.' or 'x' or 'X'))
        {
            return false;
        }

        if (IPAddress.TryParse(h, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork)
        {
            address = v4;
            return true;
        }

        return false;
    }
}
