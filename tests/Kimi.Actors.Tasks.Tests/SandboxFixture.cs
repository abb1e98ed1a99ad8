namespace Kimi.Actors.Tasks.Tests;

/// <summary>One sandbox with tight limits for every test that runs programs; they share a collection so they run one at a time.</summary>
public sealed class SandboxFixture : IDisposable
{
    public static readonly SandboxLimits Limits = new(
        WallTime: TimeSpan.FromSeconds(3), CpuSeconds: 1, MemoryBytes: 128L << 20, Processes: 12,
        OutputBytes: 64 << 10, FileBytes: 1 << 20, WorkBytes: 4 << 20, OpenFiles: 32);

    /// <summary>An extra argument of every Python program these tests run, so their processes can be told from other suites' sandboxes.</summary>
    public static readonly string Token = "kimi-sandbox-test-" + Guid.NewGuid().ToString("N");

    public static SandboxSettings Settings => SandboxSettings.Default with
    {
        Limits = Limits,
        Languages = new Dictionary<string, LanguageSpec>(SandboxSettings.Default.Languages)
        {
            ["py"] = SandboxSettings.Python with { Run = ["python3", "{file}", Token] },
        },
    };

    public Sandbox Sandbox { get; } = Sandbox.Start(Settings);

    public CodeJudge Judge => new(Sandbox);

    public void Dispose() => Sandbox.Dispose();
}

[CollectionDefinition(Name)]
public sealed class SandboxCollection : ICollectionFixture<SandboxFixture>
{
    public const string Name = "sandbox";
}
