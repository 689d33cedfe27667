using System.Text.Json.Serialization;

namespace SkAgents.Mcp.Client;

[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(double))]
internal sealed partial class McpClientJsonContext : JsonSerializerContext;
