namespace Kimi.Actors.Tasks.Tests;

/// <summary>One sandbox with tight limits for every test that runs programs; they share a collection so they run one at a time.</summary>
public sealed class SandboxFixture : IDisposable
{
    public static readonly SandboxLimits Limits = new(
        WallTime: TimeSpan.FromSeconds(3), CpuSeconds: 1, MemoryBytes: 128L << 20, Processes: 12,
        OutputBytes: 64 << 10, FileBytes: 1 << 20, WorkBytes: 4 << 20, OpenFiles: 32);

    public static SandboxSettings Settings => SandboxSettings.Default with { Limits = Limits };

    public Sandbox Sandbox { get; } = Sandbox.Start(Settings);

    public CodeJudge Judge => new(Sandbox);

    public void Dispose() => Sandbox.Dispose();
}

[CollectionDefinition(Name)]
public sealed class SandboxCollection : ICollectionFixture<SandboxFixture>
{
    public const string Name = "sandbox";
}
