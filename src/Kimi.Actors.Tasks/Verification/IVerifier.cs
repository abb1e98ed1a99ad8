namespace Kimi.Actors.Tasks;

/// <summary>
/// Judges one response to one prompt. Implementations never throw and stay bounded in time and memory on
/// any input, hostile model output included: a response they cannot judge is incorrect, with a reason.
/// </summary>
public interface IVerifier
{
    VerifyResult Verify(PromptRecord prompt, string response);
}
