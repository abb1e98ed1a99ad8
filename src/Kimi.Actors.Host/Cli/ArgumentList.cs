namespace Kimi.Actors.Host.Cli;

/// <summary>
/// Minimal, strict option parsing: <c>--name value</c>, <c>--name=value</c>, repeatable options, flags.
/// Anything not consumed is an error naming it, so a typo never silently runs the defaults.
/// </summary>
public sealed class ArgumentList
{
    private readonly List<string> _args;
    private readonly string _command;

    public ArgumentList(string command, IEnumerable<string> args)
    {
        _command = command;
        _args = [];
        foreach (var a in args)
        {
            int eq = a.IndexOf('=');
            if (a.StartsWith("--") && eq > 2) { _args.Add(a[..eq]); _args.Add(a[(eq + 1)..]); }
            else _args.Add(a);
        }
    }

    public string? Value(string name)
    {
        var all = Values(name);
        if (all.Count > 1) throw new UsageException($"{_command}: {name} given {all.Count} times");
        return all.Count == 0 ? null : all[0];
    }

    public IReadOnlyList<string> Values(string name)
    {
        var found = new List<string>();
        for (int i = 0; i < _args.Count; i++)
        {
            if (_args[i] != name) continue;
            if (i + 1 >= _args.Count || (_args[i + 1].StartsWith("--") && _args[i + 1].Length > 2))
                throw new UsageException($"{_command}: {name} needs a value");
            found.Add(_args[i + 1]);
            _args.RemoveRange(i, 2);
            i--;
        }
        return found;
    }

    public bool Flag(string name) => _args.Remove(name);

    public int? Int(string name, int min = 0)
    {
        var v = Value(name);
        if (v is null) return null;
        if (!int.TryParse(v, out int x) || x < min) throw new UsageException($"{_command}: {name} {v}: expected an integer >= {min}");
        return x;
    }

    public void RejectRest()
    {
        if (_args.Count > 0) throw new UsageException($"{_command}: unknown argument '{_args[0]}' (see kimi --help)");
    }
}
