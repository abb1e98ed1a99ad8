using Kimi.Actors.Rl.Identity;

namespace Kimi.Actors.Rl.Runs;

/// <summary>
/// A version of a run's policy weights, published by its trainer. Only this reference travels; the bytes go out of band
/// (in memory, a shared-memory file, a shared folder, HTTP) and are verified by SHA-256 before use. Versions of a run
/// strictly increase.
/// </summary>
/// <param name="Location">Transport-specific address: <c>mem://run/version</c>, a file path, or a URL.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the safetensors bytes.</param>
public sealed record WeightsPublished(RunId Run, long Version, string Location, string Sha256, long Bytes);
