using System.Reflection;

// Entry point of every worker, manager and child process. It runs inside the user's app context
// (launched with the app's runtimeconfig and deps.json) and hands over to the library.
var library = Assembly.Load("Multiprocessing");
var entry = library.GetType("Multiprocessing.Internal.ChildEntry", throwOnError: true)!
    .GetMethod("Run", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!;
return (int)entry.Invoke(null, [args])!;
