namespace Kimi.Actors.Model.Tokenization;

/// <summary>
/// Which tokenizer a run uses, as plain data: it is part of the run's options and travels to every worker and judge
/// that encodes or decodes text, so no component picks a tokenizer by itself.
/// </summary>
/// <param name="Kind"><c>char</c>: the built-in character tokenizer (the tiny model's).</param>
/// <param name="Path">For tokenizers loaded from files: the folder holding them.</param>
public sealed record TokenizerSpec(string Kind, string? Path = null)
{
    public static readonly TokenizerSpec Char = new("char");

    /// <summary>Factories by kind; a kind backed by files registers itself here (see <see cref="Register"/>).</summary>
    private static readonly Dictionary<string, Func<TokenizerSpec, ITokenizer>> Factories = new(StringComparer.Ordinal)
    {
        ["char"] = _ => CharTokenizer.Instance,
    };

    public static void Register(string kind, Func<TokenizerSpec, ITokenizer> factory)
    {
        lock (Factories) Factories[kind] = factory;
    }

    /// <exception cref="ArgumentException">An unknown kind (the message lists the known ones).</exception>
    public ITokenizer Create()
    {
        Func<TokenizerSpec, ITokenizer>? factory;
        lock (Factories) Factories.TryGetValue(Kind, out factory);
        return factory is null
            ? throw new ArgumentException($"tokenizer '{Kind}' is not known (known: {string.Join(", ", Factories.Keys.Order())})")
            : factory(this);
    }
}
