using System.Collections.Concurrent;

namespace Kimi.Actors.Model.Tokenization;

/// <summary>
/// Which tokenizer a run uses, as plain data: it is part of the run's options and travels to every worker and judge
/// that encodes or decodes text, so no component picks a tokenizer by itself.
/// </summary>
/// <param name="Kind"><c>char</c>: the built-in character tokenizer (the tiny model's); <c>hf</c>: a Hugging Face model folder's.</param>
/// <param name="Path">For tokenizers loaded from files: the folder holding them.</param>
/// <param name="PromptTemplate">
/// How a prompt becomes model input for <c>hf</c>: null renders it as one user message through the checkpoint's chat
/// template (with the generation prompt); otherwise a plain template in which <c>{prompt}</c> stands for the prompt,
/// encoded with the tokenizer's special tokens.
/// </param>
public sealed record TokenizerSpec(string Kind, string? Path = null, string? PromptTemplate = null)
{
    public static readonly TokenizerSpec Char = new("char");

    /// <summary>The tokenizer of a Hugging Face model folder (by its full path, so every node names the same one).</summary>
    public static TokenizerSpec Hf(string folder, string? promptTemplate = null) => new("hf", System.IO.Path.GetFullPath(folder), promptTemplate);

    // A Hugging Face tokenizer is a native object and its folder is read once per process: every worker and judge of a
    // run asks for the same one many times.
    private static readonly ConcurrentDictionary<TokenizerSpec, Lazy<ITokenizer>> Loaded = new();

    /// <summary>Factories by kind; a kind backed by files registers itself here (see <see cref="Register"/>).</summary>
    private static readonly Dictionary<string, Func<TokenizerSpec, ITokenizer>> Factories = new(StringComparer.Ordinal)
    {
        ["char"] = _ => CharTokenizer.Instance,
        ["hf"] = spec => Loaded.GetOrAdd(spec, s => new Lazy<ITokenizer>(() => HfPromptTokenizer.Load(s))).Value,
    };

    public static void Register(string kind, Func<TokenizerSpec, ITokenizer> factory)
    {
        lock (Factories) Factories[kind] = factory;
    }

    /// <exception cref="ArgumentException">An unknown kind (the message lists the known ones), or files that do not load.</exception>
    public ITokenizer Create()
    {
        Func<TokenizerSpec, ITokenizer>? factory;
        lock (Factories) Factories.TryGetValue(Kind, out factory);
        if (factory is null) throw new ArgumentException($"tokenizer '{Kind}' is not known (known: {string.Join(", ", Factories.Keys.Order())})");
        try { return factory(this); }
        catch (Exception e) when (e is Checkpoints.CheckpointException or ArgumentException or IOException)
        {
            // A failed load is not cached: a later request (a fixed folder) tries again.
            Loaded.TryRemove(this, out _);
            throw e is ArgumentException ? e : new ArgumentException(e.Message, e);
        }
    }
}
