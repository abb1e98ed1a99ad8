using System.Runtime.CompilerServices;

// Tests exercise the chunked byte copy with tiny chunks rather than allocating tensors over 2 GiB.
[assembly: InternalsVisibleTo("Kimi.Actors.Model.Tests")]
