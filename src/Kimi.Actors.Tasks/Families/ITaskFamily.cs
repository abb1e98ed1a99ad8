namespace Kimi.Actors.Tasks;

/// <summary>
/// A generator of verifiable prompts of one kind, with demonstrations for warm-up SFT and negative
/// examples. Generation is a pure function of the <see cref="Random"/> passed in, so a seed fixes a
/// prompt set.
/// </summary>
public interface ITaskFamily
{
    /// <summary>Short, unique, used in prompt ids ("sum", "countdown").</summary>
    string Name { get; }

    /// <summary>
    /// Families with the same seed name draw the same prompts for a seed (<see cref="PromptSetBuilder"/>): a family that
    /// shows another family's prompts another way (as images) names that family, so both are measured on the same prompts.
    /// </summary>
    string SeedName => Name;

    /// <summary>The domain written into generated prompts; selects the verifier (<see cref="Verifiers.ForDomain"/>).</summary>
    string Domain { get; }

    int MinDifficulty { get; }

    int MaxDifficulty { get; }

    /// <summary>Upper bound on the length of every demonstration; a sensible generation cap for the policy.</summary>
    int MaxResponseChars { get; }

    /// <exception cref="ArgumentOutOfRangeException">difficulty outside MinDifficulty..MaxDifficulty.</exception>
    PromptRecord Generate(Random rng, int difficulty, string id);

    /// <summary>
    /// A full response (chain of thought, then <c>#answer</c>) without any end-of-sequence marker. Unflawed
    /// it verifies correct; flawed it carries one plausible mistake and verifies incorrect.
    /// </summary>
    /// <exception cref="ArgumentException">The prompt is not in this family's format.</exception>
    string Demonstrate(PromptRecord prompt, Random rng, bool flawed);

    IVerifier Verifier { get; }

    /// <summary>
    /// The prompt's identity for keeping train, validation and test sets apart: prompts with equal canonical forms are
    /// the same question asked twice (the terms of a running sum in another order, a countdown puzzle with its numbers
    /// reordered). The default, the normalised text (with an image prompt's image hashes, <see cref="PromptCanonical.Of"/>), suits families whose prompts
    /// are ordered; a family whose prompts are unordered collections overrides it. Never throws: a prompt the family
    /// cannot parse falls back to its normalised text.
    /// </summary>
    string Canonical(PromptRecord prompt) => PromptCanonical.Of(prompt);
}
