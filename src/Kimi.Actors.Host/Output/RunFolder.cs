using Kimi.Actors.CommandLine;
using Kimi.Actors.Host.Cli;

namespace Kimi.Actors.Host.Output;

/// <summary>The folder a run writes into; checked for writability before any work starts.</summary>
public sealed class RunFolder
{
    public string Path { get; }

    private RunFolder(string path) => Path = path;

    public static RunFolder Prepare(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        try
        {
            if (System.IO.File.Exists(full)) throw new UsageException($"output folder '{path}' is a file");
            Directory.CreateDirectory(full);
            var probe = System.IO.Path.Combine(full, $".write-test-{Environment.ProcessId}");
            System.IO.File.WriteAllText(probe, "");
            System.IO.File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"output folder '{path}' is not writable: {e.Message}");
        }
        return new RunFolder(full);
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);
}
