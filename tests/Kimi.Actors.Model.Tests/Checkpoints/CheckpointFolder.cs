namespace Kimi.Actors.Model.Tests.Checkpoints;

/// <summary>A fresh folder for one test's checkpoint files, deleted with everything in it on dispose.</summary>
internal sealed class CheckpointFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kimi-ckpt-" + Guid.NewGuid().ToString("N"));

    public CheckpointFolder() => Directory.CreateDirectory(Path);

    public string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
