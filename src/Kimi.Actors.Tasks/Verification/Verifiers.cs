namespace Kimi.Actors.Tasks;

/// <summary>
/// The registry from a prompt's domain to its verifier. Built in: "arithmetic" (strict numeric answers after
/// '#'), "math" (<see cref="MathAnswerVerifier"/>: boxed/answer-line/marker extraction, LaTeX, exact equivalence)
/// "search" (countdown expressions), "code" (<see cref="CodeVerifier"/>: programs run against tests in the sandbox) and
/// the visual families' numeric domains "visual-counting", "visual-arithmetic" and "visual-scenes". Other layers add theirs (sandboxed code, model
/// judges) with <see cref="Register"/> at start-up. Domains are case-sensitive.
/// </summary>
public static class Verifiers
{
    public const string Arithmetic = "arithmetic";
    public const string Math = "math";
    public const string Search = "search";
    public const string Code = "code";
    public const string VisualCounting = "visual-counting";
    public const string VisualArithmetic = "visual-arithmetic";
    public const string VisualScenes = "visual-scenes";

    private static readonly object Gate = new();
    private static readonly Dictionary<string, IVerifier> Registry = new(StringComparer.Ordinal)
    {
        [Arithmetic] = NumericAnswerVerifier.Instance,
        [Math] = MathAnswerVerifier.Instance,
        [Search] = CountdownVerifier.Instance,
        [Code] = CodeVerifier.Shared,
        [VisualCounting] = NumericAnswerVerifier.Instance,
        [VisualArithmetic] = NumericAnswerVerifier.Instance,
        [VisualScenes] = NumericAnswerVerifier.Instance,
    };

    /// <summary>The verifier for <paramref name="domain"/>.</summary>
    /// <exception cref="ArgumentException">The domain is not registered; the message lists the known ones.</exception>
    public static IVerifier ForDomain(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        lock (Gate)
        {
            if (Registry.TryGetValue(domain, out var verifier)) return verifier;
            throw new ArgumentException(
                $"unknown domain '{domain}'; known domains: {string.Join(", ", Registry.Keys.Order(StringComparer.Ordinal))}",
                nameof(domain));
        }
    }

    /// <summary>Adds a domain. Registering a domain twice is an error, so two components cannot silently disagree.</summary>
    public static void Register(string domain, IVerifier verifier)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(domain);
        ArgumentNullException.ThrowIfNull(verifier);
        lock (Gate)
        {
            if (!Registry.TryAdd(domain, verifier))
                throw new ArgumentException($"domain '{domain}' already has a verifier", nameof(domain));
        }
    }

    /// <summary>
    /// Replaces the verifier of a domain that is already registered (the built-in math verifier with the node's
    /// configured options, at start-up). Unlike <see cref="Register"/> it never adds a domain.
    /// </summary>
    public static void Configure(string domain, IVerifier verifier)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        lock (Gate)
        {
            if (!Registry.ContainsKey(domain)) throw new ArgumentException($"unknown domain '{domain}'", nameof(domain));
            Registry[domain] = verifier;
        }
    }

    /// <summary>The registered domains, sorted.</summary>
    public static IReadOnlyList<string> KnownDomains
    {
        get
        {
            lock (Gate) return Registry.Keys.Order(StringComparer.Ordinal).ToArray();
        }
    }
}
