using System.Net;

namespace SkAgents.Web.Tests;

public class NetworkAddressPolicyTests
{
    private static readonly NetworkAddressPolicy Default = new();

    [Theory]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("0.1.2.3", "unspecified")]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.255.255.254", "loopback")]
    [InlineData("10.0.0.5", "private (10.0.0.0/8)")]
    [InlineData("172.16.0.1", "private (172.16.0.0/12)")]
    [InlineData("172.31.255.255", "private (172.16.0.0/12)")]
    [InlineData("192.168.1.1", "private (192.168.0.0/16)")]
    [InlineData("100.64.0.1", "CGNAT")]
    [InlineData("100.127.255.255", "CGNAT")]
    [InlineData("169.254.1.1", "link-local")]
    [InlineData("169.254.169.254", "cloud metadata")]
    [InlineData("169.254.170.2", "cloud metadata")]
    [InlineData("100.100.100.200", "cloud metadata")]
    [InlineData("198.18.0.1", "benchmarking")]
    [InlineData("198.19.255.255", "benchmarking")]
    [InlineData("192.0.0.8", "IETF protocol assignments")]
    [InlineData("192.0.2.1", "documentation")]
    [InlineData("198.51.100.7", "documentation")]
    [InlineData("203.0.113.9", "documentation")]
    [InlineData("192.88.99.1", "6to4 relay")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("239.255.255.250", "multicast")]
    [InlineData("240.0.0.1", "reserved")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("::", "unspecified")]
    [InlineData("::1", "loopback (::1)")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("fe80::1%2", "link-local")]
    [InlineData("febf:ffff::1", "link-local")]
    [InlineData("fec0::1", "site-local")]
    [InlineData("fc00::1", "unique local")]
    [InlineData("fd12:3456::1", "unique local")]
    [InlineData("fd00:ec2::254", "cloud metadata")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("2001:db8::1", "documentation")]
    [InlineData("3fff::1", "documentation")]
    [InlineData("2001::1", "Teredo")]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo")]
    [InlineData("2001:2::1", "benchmarking")]
    [InlineData("100::1", "discard-only")]
    [InlineData("64:ff9b:1::1", "NAT64 local-use")]
    [InlineData("4000::1", "outside global unicast")]
    [InlineData("::ffff:127.0.0.1", "loopback (127.0.0.0/8) via IPv4-mapped 127.0.0.1")]
    [InlineData("::ffff:169.254.169.254", "cloud metadata (169.254.169.254) via IPv4-mapped")]
    [InlineData("::ffff:10.1.2.3", "private (10.0.0.0/8) via IPv4-mapped")]
    [InlineData("::10.1.2.3", "private (10.0.0.0/8) via IPv4-compatible")]
    [InlineData("::127.0.0.1", "loopback (127.0.0.0/8) via IPv4-compatible")]
    [InlineData("64:ff9b::10.0.0.1", "private (10.0.0.0/8) via NAT64")]
    [InlineData("64:ff9b::169.254.169.254", "cloud metadata (169.254.169.254) via NAT64")]
    [InlineData("2002:a9fe:a9fe::1", "cloud metadata (169.254.169.254) via 6to4")]
    [InlineData("2002:7f00:1::", "loopback (127.0.0.0/8) via 6to4")]
    [InlineData("2002:c0a8:0101::1", "private (192.168.0.0/16) via 6to4")]
    public void Blocks_NonPublicAddresses_WithTheReason(string address, string reason)
    {
        var decision = Default.Evaluate(IPAddress.Parse(address));
        Assert.False(decision.Allowed, $"{address} should be blocked");
        Assert.Contains(reason, decision.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("93.184.216.34")]
    [InlineData("172.15.255.255")] // just below 172.16/12
    [InlineData("172.32.0.1")]     // just above
    [InlineData("100.63.255.255")] // just below 100.64/10
    [InlineData("100.128.0.1")]
    [InlineData("169.253.255.255")]
    [InlineData("198.17.255.255")]
    [InlineData("198.20.0.1")]
    [InlineData("223.255.255.255")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2a00:1450:4001:80b::200e")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")]
    [InlineData("2002:0808:0808::1")]
    public void Allows_PublicAddresses(string address)
    {
        var decision = Default.Evaluate(IPAddress.Parse(address));
        Assert.True(decision.Allowed, $"{address}: {decision.Reason}");
        Assert.StartsWith("public", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AllowList_AdmitsOnlyItsNetworks_AndEmbeddedForms()
    {
        var policy = new NetworkAddressPolicy(["127.0.0.0/8", "::1/128", "10.1.2.3", " 192.168.0.0/24 "]);
        Assert.Equal(["127.0.0.0/8", "::1/128", "10.1.2.3/32", "192.168.0.0/24"], policy.AllowedNetworks);

        Assert.True(policy.Evaluate(IPAddress.Parse("127.0.0.1")).Allowed);
        Assert.Equal("allowed by AllowedNetworks (127.0.0.0/8)", policy.Evaluate(IPAddress.Parse("127.9.9.9")).Reason);
        Assert.True(policy.Evaluate(IPAddress.Parse("::1")).Allowed);
        Assert.True(policy.Evaluate(IPAddress.Parse("::ffff:127.0.0.1")).Allowed);
        Assert.True(policy.Evaluate(IPAddress.Parse("10.1.2.3")).Allowed);
        Assert.True(policy.Evaluate(IPAddress.Parse("192.168.0.77")).Allowed);

        Assert.False(policy.Evaluate(IPAddress.Parse("10.1.2.4")).Allowed);
        Assert.False(policy.Evaluate(IPAddress.Parse("192.168.1.1")).Allowed);
        Assert.False(policy.Evaluate(IPAddress.Parse("169.254.169.254")).Allowed);
        Assert.True(policy.Evaluate(IPAddress.Parse("8.8.8.8")).Allowed);
    }

    [Fact]
    public void AllowList_HostBitsAreMasked()
    {
        var policy = new NetworkAddressPolicy(["127.0.0.1/8"]);
        Assert.Equal(["127.0.0.0/8"], policy.AllowedNetworks);
        Assert.True(policy.Evaluate(IPAddress.Parse("127.3.2.1")).Allowed);
    }

    [Theory]
    [InlineData("not-an-ip")]
    [InlineData("10.0.0.0/33")]
    [InlineData("::1/129")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("")]
    public void AllowList_InvalidEntry_IsRejectedWithTheEntryNamed(string entry)
    {
        var ex = Assert.Throws<ArgumentException>(() => new NetworkAddressPolicy([entry]));
        Assert.Contains($"'{entry}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("AllowedNetworks", ex.Message, StringComparison.Ordinal);
    }
}
