namespace Kimi.Actors.Host.Tests.Kubernetes;

/// <summary>
/// A Kubernetes label selector as the API server reads the <c>labelSelector</c> query parameter: comma-separated
/// requirements, each <c>key=value</c>, <c>key==value</c>, <c>key!=value</c>, <c>key</c>, <c>!key</c>,
/// <c>key in (a,b)</c> or <c>key notin (a,b)</c>; a set of labels matches when every requirement holds.
/// </summary>
public sealed class LabelSelector
{
    private readonly List<Func<IDictionary<string, string>, bool>> _requirements = [];

    public LabelSelector(string selector)
    {
        foreach (var part in SplitTopLevel(selector))
        {
            var r = part.Trim();
            if (r.Length == 0) continue;
            if (r.Contains(" notin ", StringComparison.Ordinal) || r.Contains(" in ", StringComparison.Ordinal))
            {
                bool notIn = r.Contains(" notin ", StringComparison.Ordinal);
                var split = r.Split(notIn ? " notin " : " in ", 2);
                var key = split[0].Trim();
                var values = split[1].Trim().TrimStart('(').TrimEnd(')').Split(',').Select(v => v.Trim()).ToHashSet();
                _requirements.Add(l => l.TryGetValue(key, out var v) ? values.Contains(v) != notIn : notIn);
            }
            else if (r.Contains("!=", StringComparison.Ordinal))
            {
                var (k, v) = Pair(r, "!=");
                _requirements.Add(l => !l.TryGetValue(k, out var x) || x != v);
            }
            else if (r.Contains('='))
            {
                var (k, v) = Pair(r, r.Contains("==", StringComparison.Ordinal) ? "==" : "=");
                _requirements.Add(l => l.TryGetValue(k, out var x) && x == v);
            }
            else if (r.StartsWith('!')) _requirements.Add(l => !l.ContainsKey(r[1..].Trim()));
            else _requirements.Add(l => l.ContainsKey(r));
        }
        if (_requirements.Count == 0) throw new ArgumentException($"label selector '{selector}' has no requirement");
    }

    public bool Matches(IDictionary<string, string>? labels) => _requirements.All(r => r(labels ?? new Dictionary<string, string>()));

    private static (string, string) Pair(string requirement, string op)
    {
        var i = requirement.IndexOf(op, StringComparison.Ordinal);
        return (requirement[..i].Trim(), requirement[(i + op.Length)..].Trim());
    }

    private static IEnumerable<string> SplitTopLevel(string selector)
    {
        int depth = 0, start = 0;
        for (int i = 0; i < selector.Length; i++)
        {
            if (selector[i] == '(') depth++;
            else if (selector[i] == ')') depth--;
            else if (selector[i] == ',' && depth == 0)
            {
                yield return selector[start..i];
                start = i + 1;
            }
        }
        yield return selector[start..];
    }
}
