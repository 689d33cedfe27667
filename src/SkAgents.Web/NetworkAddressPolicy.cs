using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SkAgents.Web;

/// <summary>The decision of <see cref="NetworkAddressPolicy.Evaluate"/> for one address.</summary>
/// <param name="Allowed">Whether a connection to the address is allowed.</param>
/// <param name="Reason">Why: the range that blocks it (for example <c>private (10.0.0.0/8)</c>, <c>cloud metadata</c>,
/// <c>loopback (127.0.0.0/8)</c>), <c>public</c>, or the allow-list entry that admits it.</param>
public readonly record struct AddressDecision(bool Allowed, string Reason);

/// <summary>
/// The server-side request forgery (SSRF) guard: decides whether an IP address may be connected to.
/// </summary>
/// <remarks>
/// <para>Blocked unless an allow-list entry contains the address: unspecified (<c>0.0.0.0/8</c>, <c>::</c>), loopback
/// (<c>127.0.0.0/8</c>, <c>::1</c>), private (<c>10/8</c>, <c>172.16/12</c>, <c>192.168/16</c>), shared/CGNAT
/// (<c>100.64/10</c>), link-local (<c>169.254/16</c>, <c>fe80::/10</c>), cloud metadata (<c>169.254.169.254</c>,
/// <c>169.254.170.2</c>, <c>100.100.100.200</c>, <c>fd00:ec2::254</c>), IETF protocol assignments (<c>192.0.0/24</c>),
/// documentation (<c>192.0.2/24</c>, <c>198.51.100/24</c>, <c>203.0.113/24</c>, <c>2001:db8::/32</c>, <c>3fff::/20</c>),
/// benchmarking (<c>198.18/15</c>, <c>2001:2::/48</c>), 6to4 relay anycast (<c>192.88.99/24</c>), multicast
/// (<c>224/4</c>, <c>ff00::/8</c>), reserved and broadcast (<c>240/4</c>), unique local (<c>fc00::/7</c>), site-local
/// (<c>fec0::/10</c>), discard-only (<c>100::/64</c>), Teredo (<c>2001::/32</c>) and the rest of <c>2001::/23</c>, and any
/// IPv6 address outside global unicast <c>2000::/3</c>.</para>
/// <para>IPv6 forms that carry an IPv4 address are judged by that IPv4 address: IPv4-mapped (<c>::ffff:a.b.c.d</c>),
/// IPv4-compatible (<c>::a.b.c.d</c>), NAT64 (<c>64:ff9b::/96</c>) and 6to4 (<c>2002::/16</c>). Zone ids are ignored.</para>
/// <para>Allow-list entries are CIDR blocks (<c>127.0.0.0/8</c>, <c>::1/128</c>) or single addresses (<c>10.1.2.3</c>);
/// an entry admits an address when it contains the address itself or the IPv4 address embedded in it.</para>
/// </remarks>
public sealed class NetworkAddressPolicy
{
    private static readonly (IpCidr Range, string Reason)[] MetadataV4 =
    [
        (IpCidr.Parse("169.254.169.254/32"), "cloud metadata (169.254.169.254)"),
        (IpCidr.Parse("169.254.170.2/32"), "cloud metadata (169.254.170.2, ECS task metadata)"),
        (IpCidr.Parse("100.100.100.200/32"), "cloud metadata (100.100.100.200)"),
    ];

    private static readonly (IpCidr Range, string Reason)[] BlockedV4 =
    [
        (IpCidr.Parse("0.0.0.0/8"), "unspecified (0.0.0.0/8)"),
        (IpCidr.Parse("127.0.0.0/8"), "loopback (127.0.0.0/8)"),
        (IpCidr.Parse("10.0.0.0/8"), "private (10.0.0.0/8)"),
        (IpCidr.Parse("172.16.0.0/12"), "private (172.16.0.0/12)"),
        (IpCidr.Parse("192.168.0.0/16"), "private (192.168.0.0/16)"),
        (IpCidr.Parse("100.64.0.0/10"), "shared address space / CGNAT (100.64.0.0/10)"),
        (IpCidr.Parse("169.254.0.0/16"), "link-local (169.254.0.0/16)"),
        (IpCidr.Parse("192.0.0.0/24"), "IETF protocol assignments (192.0.0.0/24)"),
        (IpCidr.Parse("192.0.2.0/24"), "documentation (192.0.2.0/24)"),
        (IpCidr.Parse("198.51.100.0/24"), "documentation (198.51.100.0/24)"),
        (IpCidr.Parse("203.0.113.0/24"), "documentation (203.0.113.0/24)"),
        (IpCidr.Parse("192.88.99.0/24"), "6to4 relay anycast (192.88.99.0/24)"),
        (IpCidr.Parse("198.18.0.0/15"), "benchmarking (198.18.0.0/15)"),
        (IpCidr.Parse("224.0.0.0/4"), "multicast (224.0.0.0/4)"),
        (IpCidr.Parse("255.255.255.255/32"), "broadcast (255.255.255.255)"),
        (IpCidr.Parse("240.0.0.0/4"), "reserved (240.0.0.0/4)"),
    ];

    private static readonly (IpCidr Range, string Reason)[] BlockedV6 =
    [
        (IpCidr.Parse("fd00:ec2::254/128"), "cloud metadata (fd00:ec2::254)"),
        (IpCidr.Parse("::/128"), "unspecified (::)"),
        (IpCidr.Parse("::1/128"), "loopback (::1)"),
        (IpCidr.Parse("64:ff9b:1::/48"), "NAT64 local-use (64:ff9b:1::/48)"),
        (IpCidr.Parse("100::/64"), "discard-only (100::/64)"),
        (IpCidr.Parse("2001::/32"), "Teredo (2001::/32)"),
        (IpCidr.Parse("2001:db8::/32"), "documentation (2001:db8::/32)"),
        (IpCidr.Parse("2001:2::/48"), "benchmarking (2001:2::/48)"),
        (IpCidr.Parse("2001::/23"), "IETF protocol assignments (2001::/23)"),
        (IpCidr.Parse("3fff::/20"), "documentation (3fff::/20)"),
        (IpCidr.Parse("fc00::/7"), "unique local (fc00::/7)"),
        (IpCidr.Parse("fe80::/10"), "link-local (fe80::/10)"),
        (IpCidr.Parse("fec0::/10"), "site-local (fec0::/10)"),
        (IpCidr.Parse("ff00::/8"), "multicast (ff00::/8)"),
    ];

    private static readonly IpCidr GlobalUnicastV6 = IpCidr.Parse("2000::/3");

    private readonly IpCidr[] _allowed;

    /// <summary>Creates the policy.</summary>
    /// <param name="allowedNetworks">CIDR blocks or single addresses exempt from the guard (for example
    /// <c>127.0.0.0/8</c>, <c>::1/128</c>, <c>10.1.2.3</c>); null or empty allows the public internet only.</param>
    /// <exception cref="ArgumentException">An entry is not a valid address or CIDR block.</exception>
    public NetworkAddressPolicy(IEnumerable<string>? allowedNetworks = null)
    {
        var list = new List<IpCidr>();
        foreach (var entry in allowedNetworks ?? [])
        {
            if (!IpCidr.TryParse(entry, out var cidr))
            {
                throw new ArgumentException(
                    $"AllowedNetworks entry '{entry}' is not an IP address or CIDR block (expected e.g. '127.0.0.0/8', '::1/128' or '10.1.2.3').",
                    nameof(allowedNetworks));
            }

            list.Add(cidr);
        }

        _allowed = [.. list];
    }

    /// <summary>The allow-list entries, normalized (for example <c>127.0.0.0/8</c>).</summary>
    public IReadOnlyList<string> AllowedNetworks => [.. _allowed.Select(a => a.ToString())];

    /// <summary>Decides whether a connection to <paramref name="address"/> is allowed.</summary>
    /// <param name="address">The address (IPv4 or IPv6; a zone id is ignored).</param>
    /// <returns>The decision and its reason.</returns>
    public AddressDecision Evaluate(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var embedded = EmbeddedIPv4(address);
        foreach (var allowed in _allowed)
        {
            if (allowed.Contains(address) || (embedded is not null && allowed.Contains(embedded)))
            {
                return new AddressDecision(true, $"allowed by AllowedNetworks ({allowed})");
            }
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return EvaluateV4(address, null);
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return new AddressDecision(false, $"unsupported address family ({address.AddressFamily})");
        }

        foreach (var (range, reason) in BlockedV6)
        {
            if (range.Contains(address))
            {
                return new AddressDecision(false, reason);
            }
        }

        if (embedded is not null)
        {
            return EvaluateV4(embedded, Describe(address));
        }

        return GlobalUnicastV6.Contains(address)
            ? new AddressDecision(true, "public")
            : new AddressDecision(false, "reserved (outside global unicast 2000::/3)");
    }

    private static AddressDecision EvaluateV4(IPAddress v4, string? carrier)
    {
        var suffix = carrier is null ? "" : $" via {carrier} {v4}";
        foreach (var (range, reason) in MetadataV4)
        {
            if (range.Contains(v4))
            {
                return new AddressDecision(false, reason + suffix);
            }
        }

        foreach (var (range, reason) in BlockedV4)
        {
            if (range.Contains(v4))
            {
                return new AddressDecision(false, reason + suffix);
            }
        }

        return new AddressDecision(true, "public" + suffix);
    }

    private static string Describe(IPAddress v6)
    {
        var b = v6.GetAddressBytes();
        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return "6to4";
        }

        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)
        {
            return "NAT64";
        }

        return b[10] == 0xff ? "IPv4-mapped" : "IPv4-compatible";
    }

    /// <summary>The IPv4 address carried by an IPv4-mapped, IPv4-compatible, NAT64 (64:ff9b::/96) or 6to4 address; else null.</summary>
    internal static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        var b = address.GetAddressBytes();
        if (address.IsIPv4MappedToIPv6)
        {
            return new IPAddress(b.AsSpan(12, 4));
        }

        if (b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
        {
            // IPv4-compatible ::a.b.c.d (deprecated); :: and ::1 are judged as IPv6 (unspecified, loopback).
            var v4 = b.AsSpan(12, 4);
            return v4[0] == 0 && v4[1] == 0 && v4[2] == 0 && v4[3] <= 1 ? null : new IPAddress(v4);
        }

        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
        {
            return new IPAddress(b.AsSpan(12, 4));
        }

        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return new IPAddress(b.AsSpan(2, 4));
        }

        return null;
    }

    /// <summary>An IPv4 or IPv6 CIDR block.</summary>
    internal readonly record struct IpCidr(IPAddress Base, int PrefixLength)
    {
        public static IpCidr Parse(string text) =>
            TryParse(text, out var cidr) ? cidr : throw new FormatException($"'{text}' is not a CIDR block.");

        public static bool TryParse(string? text, out IpCidr cidr)
        {
            cidr = default;
            if (string.IsNullOrWhiteSpace(text))
            {
                return false;
            }

            var s = text.Trim();
            var slash = s.IndexOf('/', StringComparison.Ordinal);
            var addressText = slash < 0 ? s : s[..slash];
            if (addressText.StartsWith('[') && addressText.EndsWith(']'))
            {
                addressText = addressText[1..^1];
            }

            if (!IPAddress.TryParse(addressText, out var address) || addressText.Contains('%', StringComparison.Ordinal))
            {
                return false;
            }

            var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
            var prefix = max;
            if (slash >= 0 && (!int.TryParse(s[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > max))
            {
                return false;
            }

            cidr = new IpCidr(Mask(address, prefix), prefix);
            return true;
        }

        public bool Contains(IPAddress address)
        {
            if (address.AddressFamily != Base.AddressFamily)
            {
                return false;
            }

            return Mask(address, PrefixLength).Equals(Base);
        }

        public override string ToString() => $"{Base}/{PrefixLength}";

        private static IPAddress Mask(IPAddress address, int prefix)
        {
            var bytes = address.GetAddressBytes(); // scope id dropped
            for (var i = 0; i < bytes.Length; i++)
            {
                var bits = Math.Clamp(prefix - (i * 8), 0, 8);
                bytes[i] &= (byte)(0xFF << (8 - bits));
            }

            return new IPAddress(bytes);
        }
    }
}
