using System.Numerics;

namespace Kimi.Actors.Tasks;

/// <summary>
/// An exact real number as a finite sum of terms q · π^k · √r (q rational, k an integer, r a square-free positive
/// integer). Such terms are linearly independent over the rationals, so two values are equal exactly when their
/// term maps are equal: comparison never rounds. Operations that leave this form (division by a sum, cube roots
/// of non-cubes, ...) report <see cref="UnsupportedMathException"/> instead of approximating.
/// </summary>
public sealed class ExactReal : IEquatable<ExactReal>
{
    /// <summary>Bounds that keep hostile input cheap: terms per value, bits per coefficient, trial-division limit.</summary>
    public const int MaxTerms = 32, MaxBits = 8192, MaxPiPower = 64;
    private const int TrialDivisionLimit = 10_000;

    public readonly record struct Basis(int PiPower, BigInteger Radicand) : IComparable<Basis>
    {
        public int CompareTo(Basis other) => PiPower != other.PiPower ? PiPower.CompareTo(other.PiPower) : Radicand.CompareTo(other.Radicand);
    }

    private readonly SortedDictionary<Basis, Rational> terms;

    private ExactReal(SortedDictionary<Basis, Rational> terms) => this.terms = terms;

    public static ExactReal FromRational(Rational q) => Term(q, 0, BigInteger.One);

    public static ExactReal Pi { get; } = Term(Rational.One, 1, BigInteger.One);

    private static ExactReal Term(Rational q, int pi, BigInteger radicand)
    {
        var map = new SortedDictionary<Basis, Rational>();
        if (!q.IsZero) map[new Basis(pi, radicand)] = q;
        return new ExactReal(map);
    }

    public bool IsZero => terms.Count == 0;

    /// <summary>The value as a rational, when it has no π or root part.</summary>
    public Rational? AsRational => terms.Count == 0 ? Rational.Zero
        : terms.Count == 1 && terms.First().Key == new Basis(0, BigInteger.One) ? terms.First().Value : null;

    public static ExactReal operator +(ExactReal a, ExactReal b)
    {
        var map = new SortedDictionary<Basis, Rational>(a.terms);
        foreach (var (basis, q) in b.terms)
        {
            var sum = map.TryGetValue(basis, out var existing) ? existing + q : q;
            if (sum.IsZero) map.Remove(basis); else map[basis] = sum;
        }
        return Checked(new ExactReal(map));
    }

    public static ExactReal operator -(ExactReal a) => new(new SortedDictionary<Basis, Rational>(a.terms.ToDictionary(t => t.Key, t => -t.Value)));

    public static ExactReal operator -(ExactReal a, ExactReal b) => a + -b;

    public static ExactReal operator *(ExactReal a, ExactReal b)
    {
        if (a.terms.Count * b.terms.Count > MaxTerms * MaxTerms) throw new UnsupportedMathException("expression too large");
        var result = FromRational(Rational.Zero);
        foreach (var (ba, qa) in a.terms)
            foreach (var (bb, qb) in b.terms)
            {
                int pi = ba.PiPower + bb.PiPower;
                if (Math.Abs(pi) > MaxPiPower) throw new UnsupportedMathException("power of pi too large");
                // √a·√b = √(ab), with the square part of ab moved into the coefficient.
                var (square, free) = SplitSquare(ba.Radicand * bb.Radicand);
                result += Term(qa * qb * new Rational(square, 1), pi, free);
            }
        return result;
    }

    public static ExactReal operator /(ExactReal a, ExactReal b) => a * b.Reciprocal();

    /// <summary>1/(q·π^k·√r) = 1/(q·r) · π^-k · √r; the reciprocal of a sum is outside the exact form.</summary>
    public ExactReal Reciprocal()
    {
        if (terms.Count == 0) throw new DivideByZeroException();
        if (terms.Count > 1) throw new UnsupportedMathException("division by a sum with roots or pi");
        var (basis, q) = terms.First();
        return Checked(Term(Rational.One / (q * new Rational(basis.Radicand, 1)), -basis.PiPower, basis.Radicand));
    }

    public ExactReal Pow(int exponent)
    {
        if (Math.Abs(exponent) > 4096) throw new UnsupportedMathException("exponent too large");
        if (exponent < 0) return Reciprocal().Pow(-exponent);
        if (AsRational is { } q)
        {
            // Bound the result's size before computing it: bits grow linearly with the exponent.
            if (q.Bits * (long)exponent > MaxBits * 2L) throw new UnsupportedMathException("number too large");
            return FromRational(Rational.Pow(q, exponent));
        }
        var result = FromRational(Rational.One);
        var power = this;
        for (int e = exponent; e > 0; e >>= 1)
        {
            if ((e & 1) == 1) result *= power;
            if (e > 1) power *= power;
        }
        return result;
    }

    /// <summary>√x for x = q·π^(2m) (a non-negative single term without a root part); nested roots are unsupported.</summary>
    public ExactReal Sqrt()
    {
        if (terms.Count == 0) return this;
        if (terms.Count > 1) throw new UnsupportedMathException("square root of a sum");
        var (basis, q) = terms.First();
        if (q.Sign < 0) throw new UnsupportedMathException("square root of a negative number");
        if (!basis.Radicand.IsOne || basis.PiPower % 2 != 0) throw new UnsupportedMathException("nested root");
        // √(n/d) = √(n·d)/d.
        var (square, free) = SplitSquare(q.Numerator * q.Denominator);
        return Checked(Term(new Rational(square, q.Denominator), basis.PiPower / 2, free));
    }

    /// <summary>The n-th root of a rational that is a perfect n-th power (∛8 = 2); anything else is unsupported.</summary>
    public ExactReal Root(int n)
    {
        if (n == 2) return Sqrt();
        if (n < 2 || n > 64 || AsRational is not { } q) throw new UnsupportedMathException("root of this kind");
        if (q.Sign < 0 && n % 2 == 0) throw new UnsupportedMathException("even root of a negative number");
        var num = IntegerRoot(BigInteger.Abs(q.Numerator), n);
        var den = IntegerRoot(q.Denominator, n);
        if (num is null || den is null) throw new UnsupportedMathException("root that is not rational");
        return FromRational(new Rational(q.Sign < 0 ? -num.Value : num.Value, den.Value));
    }

    private static BigInteger? IntegerRoot(BigInteger x, int n)
    {
        if (x.IsZero || x.IsOne) return x;
        var guess = new BigInteger(Math.Round(Math.Exp(BigInteger.Log(x) / n)));
        for (var c = BigInteger.Max(0, guess - 2); c <= guess + 2; c++)
            if (BigInteger.Pow(c, n) == x) return c;
        return null;
    }

    /// <summary>Writes n = s²·f with f square-free. Trial division up to a limit; the leftover is settled exactly or reported unsupported.</summary>
    private static (BigInteger Square, BigInteger Free) SplitSquare(BigInteger n)
    {
        if (n.Sign <= 0) throw new UnsupportedMathException("square root of a negative number");
        BigInteger square = 1, free = 1;
        for (int p = 2; p <= TrialDivisionLimit && (BigInteger)p * p <= n; p++)
        {
            int count = 0;
            while ((n % p).IsZero) { n /= p; count++; }
            for (int i = 0; i < count / 2; i++) square *= p;
            if (count % 2 == 1) free *= p;
        }
        if (n > 1)
        {
            var root = IntegerSqrt(n);
            if (root * root == n) square *= root;
            // Below limit³ a leftover without small factors is a prime or a product of two distinct primes: square-free.
            else if (n < (BigInteger)TrialDivisionLimit * TrialDivisionLimit * TrialDivisionLimit) free *= n;
            else throw new UnsupportedMathException("radicand too large to factor");
        }
        return (square, free);
    }

    // Newton's iteration from above: exact for any size (a double's estimate is off by far more than 1 past 2^53).
    private static BigInteger IntegerSqrt(BigInteger n)
    {
        if (n < 2) return n;
        var x = BigInteger.One << (int)((n.GetBitLength() + 1) / 2);
        while (true)
        {
            var y = (x + n / x) >> 1;
            if (y >= x) return x;
            x = y;
        }
    }

    private static ExactReal Checked(ExactReal value)
    {
        if (value.terms.Count > MaxTerms) throw new UnsupportedMathException("expression too large");
        foreach (var q in value.terms.Values)
            if (q.Bits > MaxBits) throw new UnsupportedMathException("number too large");
        return value;
    }

    public bool Equals(ExactReal? other) =>
        other is not null && terms.Count == other.terms.Count
        && terms.All(t => other.terms.TryGetValue(t.Key, out var q) && q == t.Value);

    public override bool Equals(object? obj) => Equals(obj as ExactReal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var (basis, q) in terms) { hash.Add(basis); hash.Add(q); }
        return hash.ToHashCode();
    }

    public override string ToString() => terms.Count == 0 ? "0" : string.Join(" + ", terms.Select(t =>
        t.Value + (t.Key.PiPower == 0 ? "" : t.Key.PiPower == 1 ? "·π" : $"·π^{t.Key.PiPower}") + (t.Key.Radicand.IsOne ? "" : $"·√{t.Key.Radicand}")));
}

/// <summary>The expression is well-formed but outside what can be compared exactly; the verdict says so rather than guess.</summary>
public sealed class UnsupportedMathException(string what) : Exception(what);
