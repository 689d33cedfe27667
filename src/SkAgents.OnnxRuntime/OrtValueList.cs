using System.Collections;

namespace SkAgents.OnnxRuntime;

/// <summary>Output values of a run, owned by the caller: disposing the list disposes every value.</summary>
public sealed class OrtValueList : IReadOnlyList<OrtValue>, IDisposable
{
    private readonly string[] _names;
    private readonly OrtValue[] _values;

    internal OrtValueList(string[] names, OrtValue[] values)
    {
        _names = names;
        _values = values;
    }

    /// <summary>The output names, in the order of the values.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <inheritdoc />
    public int Count => _values.Length;

    /// <inheritdoc />
    public OrtValue this[int index] => _values[index];

    /// <summary>The value of the output called <paramref name="name"/>.</summary>
    /// <param name="name">Output name.</param>
    /// <returns>The value.</returns>
    public OrtValue this[string name]
    {
        get
        {
            int index = Array.IndexOf(_names, name);
            return index >= 0 ? _values[index] : throw new KeyNotFoundException($"No output named '{name}' (have: {string.Join(", ", _names)}).");
        }
    }

    /// <inheritdoc />
    public IEnumerator<OrtValue> GetEnumerator() => ((IEnumerable<OrtValue>)_values).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var value in _values)
        {
            value?.Dispose();
        }
    }
}
