namespace Kimi.Actors.Model.Generation;

/// <summary>Decides, after each new token, whether a response has fallen into a degenerate loop.</summary>
public interface IRepeatDetector
{
    /// <param name="response">The whole response so far (prefix and new tokens).</param>
    bool IsRepeating(IReadOnlyList<int> response);
}
