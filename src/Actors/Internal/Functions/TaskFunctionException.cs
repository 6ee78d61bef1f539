namespace Multiprocessing.Internal.Functions;

/// <summary>A task function could not be found or used in the process that should run it.</summary>
internal sealed class TaskFunctionException(string message) : InvalidOperationException(message);
