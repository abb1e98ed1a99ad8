namespace Kimi.Actors.Tasks.Tests;

public class VerifiersTests
{
    [Fact]
    public void Builtin_domains_map_to_their_verifiers()
    {
        Assert.Same(NumericAnswerVerifier.Instance, Verifiers.ForDomain("arithmetic"));
        Assert.Same(MathAnswerVerifier.Instance, Verifiers.ForDomain("math"));
        Assert.Same(CountdownVerifier.Instance, Verifiers.ForDomain("search"));
    }

    [Fact]
    public void Unknown_domain_names_itself_and_the_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => Verifiers.ForDomain("poetry"));
        Assert.Contains("'poetry'", e.Message);
        Assert.Contains("arithmetic, code, math, search", e.Message);
        Assert.Contains("visual-arithmetic, visual-counting, visual-scenes", e.Message);
        Assert.Throws<ArgumentException>(() => Verifiers.ForDomain("Math"));
    }

    [Fact]
    public void Registered_domains_resolve_and_cannot_be_registered_twice()
    {
        var verifier = new ConstantVerifier();
        Verifiers.Register("test-constant", verifier);
        Assert.Same(verifier, Verifiers.ForDomain("test-constant"));
        Assert.Contains("test-constant", Verifiers.KnownDomains);
        Assert.Throws<ArgumentException>(() => Verifiers.Register("test-constant", verifier));
        Assert.Throws<ArgumentException>(() => Verifiers.Register("math", verifier));
    }

    private sealed class ConstantVerifier : IVerifier
    {
        public VerifyResult Verify(PromptRecord prompt, string response) => VerifyResult.Ok("x");
    }
}
