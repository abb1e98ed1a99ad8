using System.Numerics;

namespace Kimi.Actors.Tasks;

/// <summary>An exact fraction, always reduced with a positive denominator, so equal values have equal fields.</summary>
public readonly record struct Rational : IComparable<Rational>
{
    public BigInteger Numerator { get; }
    public BigInteger Denominator { get; }

    public Rational(BigInteger numerator, BigInteger denominator)
    {
        if (denominator.IsZero) throw new DivideByZeroException();
        if (denominator.Sign < 0) { numerator = -numerator; denominator = -denominator; }
        var g = BigInteger.GreatestCommonDivisor(numerator, denominator);
        if (!g.IsZero && !g.IsOne) { numerator /= g; denominator /= g; }
        if (numerator.IsZero) denominator = BigInteger.One;
        Numerator = numerator;
        Denominator = denominator;
    }

    public static Rational Zero => new(0, 1);
    public static Rational One => new(1, 1);

    public bool IsZero => Numerator.IsZero;
    public bool IsInteger => Denominator.IsOne;
    public int Sign => Numerator.Sign;

    /// <summary>Bits of numerator and denominator together: callers cap it so hostile exponents cannot exhaust memory.</summary>
    public long Bits => Numerator.GetBitLength() + Denominator.GetBitLength();

    public static Rational operator +(Rational a, Rational b) =>
        new(a.Numerator * b.Denominator + b.Numerator * a.Denominator, a.Denominator * b.Denominator);

    public static Rational operator -(Rational a) => new(-a.Numerator, a.Denominator);

    public static Rational operator -(Rational a, Rational b) => a + -b;

    public static Rational operator *(Rational a, Rational b) => new(a.Numerator * b.Numerator, a.Denominator * b.Denominator);

    public static Rational operator /(Rational a, Rational b) => new(a.Numerator * b.Denominator, a.Denominator * b.Numerator);

    public static Rational Pow(Rational a, int exponent) => exponent >= 0
        ? new(BigInteger.Pow(a.Numerator, exponent), BigInteger.Pow(a.Denominator, exponent))
        : new(BigInteger.Pow(a.Denominator, -exponent), BigInteger.Pow(a.Numerator, -exponent));

    public int CompareTo(Rational other) => (Numerator * other.Denominator).CompareTo(other.Numerator * Denominator);

    public static bool operator <(Rational a, Rational b) => a.CompareTo(b) < 0;
    public static bool operator >(Rational a, Rational b) => a.CompareTo(b) > 0;
    public static bool operator <=(Rational a, Rational b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Rational a, Rational b) => a.CompareTo(b) >= 0;

    public override string ToString() => IsInteger ? Numerator.ToString() : $"{Numerator}/{Denominator}";
}
