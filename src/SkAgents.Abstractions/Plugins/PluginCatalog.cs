using System.Collections;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.AI;

namespace SkAgents.Plugins;

/// <summary>
/// The plugins available to an agent or host, by name, and the flat list of tools they provide. Plugin and tool names
/// are unique (compared case-insensitively, since people type them).
/// </summary>
public sealed class PluginCatalog : IReadOnlyCollection<AgentPlugin>
{
    private readonly List<AgentPlugin> _plugins = [];
    private readonly Dictionary<string, AIFunction> _tools = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();

    /// <summary>Creates an empty catalog.</summary>
    public PluginCatalog()
    {
    }

    /// <summary>Creates a catalog holding <paramref name="plugins"/>.</summary>
    /// <param name="plugins">The plugins.</param>
    public PluginCatalog(IEnumerable<AgentPlugin> plugins)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        foreach (var plugin in plugins)
        {
            Add(plugin);
        }
    }

    /// <inheritdoc />
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _plugins.Count;
            }
        }
    }

    /// <summary>Gets every tool of every plugin, in plugin order.</summary>
    public IReadOnlyList<AIFunction> Tools
    {
        get
        {
            lock (_gate)
            {
                return _plugins.SelectMany(p => p.Functions).ToArray();
            }
        }
    }

    /// <summary>Adds a plugin.</summary>
    /// <param name="plugin">The plugin.</param>
    /// <exception cref="ArgumentException">A plugin of that name, or a tool of one of its names, is already in the catalog.</exception>
    public void Add(AgentPlugin plugin)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        lock (_gate)
        {
            if (_plugins.Any(p => string.Equals(p.Name, plugin.Name, StringComparison.OrdinalIgnoreCase)))
            {
                throw new ArgumentException($"A plugin named '{plugin.Name}' is already registered.", nameof(plugin));
            }

            var clash = plugin.Functions.FirstOrDefault(f => _tools.ContainsKey(f.Name));
            if (clash is not null)
            {
                throw new ArgumentException(
                    $"Plugin '{plugin.Name}' defines the tool '{clash.Name}', which another plugin already provides.", nameof(plugin));
            }

            _plugins.Add(plugin);
            foreach (var function in plugin.Functions)
            {
                _tools.Add(function.Name, function);
            }
        }
    }

    /// <summary>Looks a plugin up by name.</summary>
    /// <param name="name">The plugin name.</param>
    /// <param name="plugin">The plugin, when found.</param>
    /// <returns><see langword="true"/> when found.</returns>
    public bool TryGetPlugin(string name, [NotNullWhen(true)] out AgentPlugin? plugin)
    {
        lock (_gate)
        {
            plugin = _plugins.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
            return plugin is not null;
        }
    }

    /// <summary>Looks a tool up by its full name (<c>plugin_function</c>).</summary>
    /// <param name="toolName">The tool name.</param>
    /// <param name="function">The function, when found.</param>
    /// <returns><see langword="true"/> when found.</returns>
    public bool TryGetTool(string toolName, [NotNullWhen(true)] out AIFunction? function)
    {
        lock (_gate)
        {
            return _tools.TryGetValue(toolName, out function);
        }
    }

    /// <inheritdoc />
    public IEnumerator<AgentPlugin> GetEnumerator()
    {
        lock (_gate)
        {
            return _plugins.ToList().GetEnumerator();
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
