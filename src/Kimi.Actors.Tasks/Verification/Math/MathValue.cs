namespace Kimi.Actors.Tasks;

/// <summary>A parsed math answer: a number, an infinity, a bracketed list (tuple, interval, set) or a union of intervals.</summary>
public abstract record MathValue
{
    /// <summary>Mathematical equality: exact for numbers, element-wise for tuples and intervals, unordered for sets and unions.</summary>
    public abstract bool SameAs(MathValue other);

    /// <summary>A short name of the value's kind, for reasons ("number", "interval or tuple", ...).</summary>
    public abstract string Kind { get; }

    public sealed record Real(ExactReal Value) : MathValue
    {
        public override bool SameAs(MathValue other) => other is Real r && r.Value.Equals(Value);
        public override string Kind => "number";
        public override string ToString() => Value.ToString();
    }

    public sealed record Infinity(int Sign) : MathValue
    {
        public override bool SameAs(MathValue other) => other is Infinity i && i.Sign == Sign;
        public override string Kind => "infinity";
        public override string ToString() => Sign < 0 ? "-inf" : "inf";
    }

    /// <summary>
    /// Items between brackets: <c>(a, b)</c> is a tuple or open interval (the two read the same), <c>[a, b)</c> a
    /// half-open interval, <c>\{a, b\}</c> a set (Open '{'), and a bare <c>a, b</c> a list of answers (Open '\0'),
    /// which like a set compares without order.
    /// </summary>
    public sealed record Bracketed(char Open, char Close, IReadOnlyList<MathValue> Items) : MathValue
    {
        public bool Unordered => Open is '{' or '\0';

        public override bool SameAs(MathValue other) =>
            other is Bracketed b && b.Open == Open && b.Close == Close && b.Items.Count == Items.Count
            && (Unordered ? SameMultiset(Items, b.Items) : Items.Zip(b.Items).All(p => p.First.SameAs(p.Second)));

        public override string Kind => Open switch { '{' => "set", '\0' => "list", _ => "interval or tuple" };
        public override string ToString() => $"{Open}{string.Join(", ", Items)}{Close}".Trim('\0');
    }

    public sealed record Union(IReadOnlyList<MathValue> Parts) : MathValue
    {
        public override bool SameAs(MathValue other) => other is Union u && u.Parts.Count == Parts.Count && SameMultiset(Parts, u.Parts);
        public override string Kind => "union";
        public override string ToString() => string.Join(" U ", Parts);
    }

    // Equality is transitive, so matching each item to the first unused equal one is exact.
    private static bool SameMultiset(IReadOnlyList<MathValue> a, IReadOnlyList<MathValue> b)
    {
        var used = new bool[b.Count];
        foreach (var x in a)
        {
            int j = Enumerable.Range(0, b.Count).FirstOrDefault(k => !used[k] && b[k].SameAs(x), -1);
            if (j < 0) return false;
            used[j] = true;
        }
        return true;
    }
}
