namespace Kimi.Actors.Tasks;

/// <summary>
/// Limits for one sandboxed process. Wall time is enforced by the judge (it kills the sandbox); CPU time,
/// address space, processes, file size and open files are rlimits set by <c>prlimit</c> inside the sandbox;
/// output is counted by the judge as it reads; the working folder is a tmpfs of <see cref="WorkBytes"/>.
/// </summary>
public sealed record SandboxLimits(
    TimeSpan WallTime,
    int CpuSeconds,
    long MemoryBytes,
    int Processes,
    long OutputBytes,
    long FileBytes,
    long WorkBytes,
    int OpenFiles)
{
    public static SandboxLimits Default { get; } = new(
        WallTime: TimeSpan.FromSeconds(4), CpuSeconds: 2, MemoryBytes: 256L << 20, Processes: 16,
        OutputBytes: 1L << 20, FileBytes: 4L << 20, WorkBytes: 16L << 20, OpenFiles: 64);

    /// <exception cref="ArgumentException">A limit that is not positive, naming it.</exception>
    public void Validate()
    {
        if (WallTime <= TimeSpan.Zero) throw new ArgumentException("wall-time must be positive");
        if (CpuSeconds < 1) throw new ArgumentException("cpu-seconds must be at least 1");
        if (MemoryBytes < 16L << 20) throw new ArgumentException("memory must be at least 16 MiB (interpreters need it to start)");
        if (Processes < 3) throw new ArgumentException("processes must be at least 3 (the sandbox's init, prlimit and the program)");
        if (OutputBytes < 1 || FileBytes < 1 || WorkBytes < 4096 || OpenFiles < 8)
            throw new ArgumentException("output, file-size, work-size must be positive and open-files at least 8");
    }
}

/// <summary>
/// How to run programs of one language, chosen by the file extension. Commands are argument lists with
/// <c>{file}</c> (the program inside the sandbox), <c>{dir}</c> (its read-only folder) and <c>{harness}</c>
/// (the function-call harness). <see cref="Compile"/>, when given, runs once with <c>{dir}</c> writable and
/// must succeed before any test runs. <see cref="Harness"/> names a built-in function-call harness
/// (<c>python</c>) and <see cref="CallRun"/> runs it; without them only stdin/stdout tests are possible.
/// Patterns found in the program's stderr tell a memory or process limit from an ordinary crash.
/// </summary>
public sealed record LanguageSpec(
    string Extension,
    IReadOnlyList<string> Run,
    IReadOnlyList<string>? Compile = null,
    string? Harness = null,
    IReadOnlyList<string>? CallRun = null,
    IReadOnlyDictionary<string, string>? Environment = null,
    IReadOnlyList<string>? MemoryErrorPatterns = null,
    IReadOnlyList<string>? ProcessErrorPatterns = null);

/// <summary>Everything the code judge needs: the tools, what the sandbox sees, its limits and its languages.</summary>
public sealed record SandboxSettings(
    string Bwrap,
    string Prlimit,
    IReadOnlyList<string> ReadOnlyPaths,
    int SandboxUid,
    SandboxLimits Limits,
    IReadOnlyDictionary<string, LanguageSpec> Languages,
    TimeSpan CompileWallTime)
{
    public const string PythonHarness = "python";

    public static LanguageSpec Python { get; } = new(
        "py", ["python3", "{file}"], Harness: PythonHarness, CallRun: ["python3", "{harness}", "{file}"],
        Environment: new Dictionary<string, string> { ["PYTHONDONTWRITEBYTECODE"] = "1", ["PYTHONHASHSEED"] = "0" },
        MemoryErrorPatterns: ["MemoryError"], ProcessErrorPatterns: ["BlockingIOError", "Resource temporarily unavailable"]);

    public static LanguageSpec Shell { get; } = new(
        "sh", ["sh", "{file}"], MemoryErrorPatterns: ["Cannot allocate memory", "out of memory"],
        ProcessErrorPatterns: ["Resource temporarily unavailable", "fork: retry", "Cannot fork"]);

    /// <summary>The defaults shipped in <c>hocon/judges.conf</c>.</summary>
    public static SandboxSettings Default { get; } = new(
        "bwrap", "/usr/bin/prlimit", ["/usr", "/etc/alternatives"], 65534, SandboxLimits.Default,
        new Dictionary<string, LanguageSpec> { ["py"] = Python, ["sh"] = Shell }, TimeSpan.FromSeconds(20));

    /// <summary>The language for a file name or bare extension ("main.py", ".py", "py").</summary>
    /// <exception cref="ArgumentException">No language has that extension; the message lists the known ones.</exception>
    public LanguageSpec LanguageFor(string fileOrExtension)
    {
        var ext = Path.GetExtension(fileOrExtension) is { Length: > 1 } e ? e[1..] : fileOrExtension.TrimStart('.');
        return Languages.TryGetValue(ext, out var spec) ? spec
            : throw new ArgumentException($"no sandbox language for '.{ext}'; configured: {string.Join(", ", Languages.Keys.Order().Select(k => "." + k))}");
    }
}
