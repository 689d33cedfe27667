using System.Globalization;
using System.Text;

namespace SkAgents.Memory.Weaviate.Tests;

/// <summary>A GraphQL enum literal (unquoted name), kept apart from strings as the grammar does.</summary>
public sealed record GqlEnumValue(string Name);

/// <summary>A field of a selection set.</summary>
public sealed record GqlField(string Name, Dictionary<string, object?> Arguments, List<GqlField> Selection, int Line, int Column);

/// <summary>
/// A small GraphQL document parser (executable documents: an optional <c>query</c> keyword and name, one selection
/// set, fields with arguments, aliases ignored; values: strings with escapes, ints, floats, booleans, null, enums,
/// lists, objects). Variables and fragments are rejected. Good enough to parse what a Weaviate client sends.
/// </summary>
public sealed class MiniGraphQL
{
    private readonly string _s;
    private int _i;

    private MiniGraphQL(string s) => _s = s;

    /// <summary>Parses a query document into its top-level selection set.</summary>
    /// <param name="query">The document.</param>
    /// <returns>The fields.</returns>
    /// <exception cref="FormatException">Syntax error (message in GraphQL's style).</exception>
    public static List<GqlField> Parse(string query)
    {
        var p = new MiniGraphQL(query);
        p.Skip();
        if (p.PeekName() is "query")
        {
            p.ReadName();
            p.Skip();
            if (p.Peek() != '{')
            {
                p.ReadName();
            }
        }

        List<GqlField> fields = p.SelectionSet();
        p.Skip();
        if (p._i < p._s.Length)
        {
            throw p.Error($"Unexpected {p._s[p._i]}");
        }

        return fields;
    }

    private List<GqlField> SelectionSet()
    {
        Expect('{');
        var fields = new List<GqlField>();
        while (true)
        {
            Skip();
            if (Peek() == '}')
            {
                _i++;
                return fields;
            }

            (int line, int col) = Position();
            string name = ReadName();
            Skip();
            if (Peek() == ':')
            {
                _i++;
                Skip();
                name = ReadName();
                Skip();
            }

            var args = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (Peek() == '(')
            {
                _i++;
                while (true)
                {
                    Skip();
                    if (Peek() == ')')
                    {
                        _i++;
                        break;
                    }

                    string arg = ReadName();
                    Skip();
                    Expect(':');
                    args[arg] = Value();
                }

                Skip();
            }

            var selection = Peek() == '{' ? SelectionSet() : [];
            fields.Add(new GqlField(name, args, selection, line, col));
        }
    }

    private object? Value()
    {
        Skip();
        char c = Peek();
        switch (c)
        {
            case '"':
                return ReadString();
            case '[':
                _i++;
                var list = new List<object?>();
                while (true)
                {
                    Skip();
                    if (Peek() == ']')
                    {
                        _i++;
                        return list;
                    }

                    list.Add(Value());
                }

            case '{':
                _i++;
                var obj = new Dictionary<string, object?>(StringComparer.Ordinal);
                while (true)
                {
                    Skip();
                    if (Peek() == '}')
                    {
                        _i++;
                        return obj;
                    }

                    string key = ReadName();
                    Skip();
                    Expect(':');
                    obj[key] = Value();
                }

            case '$':
                throw Error("Variables are not supported by this server");
        }

        if (c == '-' || char.IsAsciiDigit(c))
        {
            int start = _i++;
            bool isFloat = false;
            while (_i < _s.Length && (char.IsAsciiDigit(_s[_i]) || _s[_i] is '.' or 'e' or 'E' or '+' or '-'))
            {
                isFloat |= _s[_i] is '.' or 'e' or 'E';
                _i++;
            }

            string num = _s[start.._i];
            return isFloat ? double.Parse(num, NumberStyles.Float, CultureInfo.InvariantCulture) : long.Parse(num, CultureInfo.InvariantCulture);
        }

        string name = ReadName();
        return name switch
        {
            "true" => true,
            "false" => false,
            "null" => null,
            _ => new GqlEnumValue(name),
        };
    }

    private string ReadString()
    {
        Expect('"');
        var sb = new StringBuilder();
        while (true)
        {
            if (_i >= _s.Length)
            {
                throw Error("Unterminated string");
            }

            char c = _s[_i++];
            if (c == '"')
            {
                return sb.ToString();
            }

            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }

            char e = _s[_i++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'u':
                    sb.Append((char)int.Parse(_s.AsSpan(_i, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                    _i += 4;
                    break;
                default: sb.Append(e); break;
            }
        }
    }

    private string? PeekName()
    {
        int save = _i;
        try
        {
            return _i < _s.Length && (char.IsAsciiLetter(_s[_i]) || _s[_i] == '_') ? ReadName() : null;
        }
        finally
        {
            _i = save;
        }
    }

    private string ReadName()
    {
        int start = _i;
        while (_i < _s.Length && (char.IsAsciiLetterOrDigit(_s[_i]) || _s[_i] == '_'))
        {
            _i++;
        }

        if (start == _i || char.IsAsciiDigit(_s[start]))
        {
            throw Error(_i < _s.Length ? $"Unexpected {_s[_i]}" : "Unexpected <EOF>");
        }

        return _s[start.._i];
    }

    private void Expect(char c)
    {
        Skip();
        if (Peek() != c)
        {
            throw Error(_i < _s.Length ? $"Expected {c}, found {_s[_i]}" : $"Expected {c}, found <EOF>");
        }

        _i++;
    }

    private char Peek() => _i < _s.Length ? _s[_i] : '\0';

    private void Skip()
    {
        while (_i < _s.Length)
        {
            char c = _s[_i];
            if (char.IsWhiteSpace(c) || c == ',')
            {
                _i++;
            }
            else if (c == '#')
            {
                while (_i < _s.Length && _s[_i] != '\n')
                {
                    _i++;
                }
            }
            else
            {
                return;
            }
        }
    }

    private (int Line, int Column) Position()
    {
        int line = 1, col = 1;
        for (int k = 0; k < _i && k < _s.Length; k++)
        {
            if (_s[k] == '\n')
            {
                line++;
                col = 1;
            }
            else
            {
                col++;
            }
        }

        return (line, col);
    }

    private FormatException Error(string message)
    {
        (int line, int col) = Position();
        return new FormatException($"Syntax Error GraphQL request ({line}:{col}) {message}");
    }
}
