namespace Kimi.Actors.Reporting;

/// <summary>
/// One held-out evaluation on the learning curve: its iteration (0 = after warm-up SFT), the overall accuracy and the
/// accuracy of each slice (a series name such as "d1" for difficulty 1).
/// </summary>
public sealed record HeldOutPoint(int Iteration, double Accuracy, IReadOnlyDictionary<string, double> Slices);
