using System.Text.Json;
using System.Text.Json.Serialization;

namespace SkAgents.Mcp.Server;

[JsonSerializable(typeof(IDictionary<string, JsonElement>))]
internal sealed partial class McpJsonContext : JsonSerializerContext;
