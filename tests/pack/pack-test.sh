#!/usr/bin/env bash
# Packs the library (Multiprocessing) and the mp tool (Multiprocessing.Tool) into a temporary folder, then uses them
# the way a user would: a brand-new console app outside the repository that references only the package and runs
# Pool.Map on worker processes started from the package's files, and the tool installed from that folder.
# Needs the .NET SDK and, for the app's other dependencies (Akka, MessagePack), the default package source or a
# warm package cache. Prints "OK pack" at the end; exits non-zero on the first failure.
#
# Usage: bash tests/pack/pack-test.sh [--no-bench]   ("mp bench --quick" takes about a minute; --no-bench skips it)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

run_bench=true
[ "${1:-}" = "--no-bench" ] && run_bench=false

work="$(mktemp -d /tmp/mp-pack-test.XXXXXX)"
# A version of its own for every run, so the package cache can never hand back an older build of the same version.
version="0.0.0-packtest.$(date +%s).$$"
cleanup() {
  rm -rf "$work"
  rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/multiprocessing/$version" \
         "${NUGET_PACKAGES:-$HOME/.nuget/packages}/multiprocessing.tool/$version"
}
trap cleanup EXIT
fail() { echo "pack-test: $*" >&2; exit 1; }
# Lists / prints a file of a zip (a .nupkg) with unzip, or with python3 where unzip is missing.
zip_list() { if command -v unzip >/dev/null; then unzip -l "$1"; else python3 -m zipfile -l "$1"; fi; }
zip_cat() {
  if command -v unzip >/dev/null; then unzip -p "$1" "$2"
  else python3 -c 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())' "$1" "$2"; fi
}

echo "=== pack $version"
# Built in a folder of its own (artifacts layout), so the checkout's bin/ and obj/ are left as they are.
dotnet pack "$repo/Multiprocessing.slnx" -c Release -o "$work/feed" -p:Version="$version" \
  -p:UseArtifactsOutput=true -p:ArtifactsPath="$work/artifacts" --nologo -v quiet \
  || fail "dotnet pack failed"
lib="$work/feed/Multiprocessing.$version.nupkg"
tool="$work/feed/Multiprocessing.Tool.$version.nupkg"
[ -f "$lib" ] || fail "no $lib"
[ -f "$tool" ] || fail "no $tool"
contents="$(zip_list "$lib")"
grep -q "lib/net10.0/Multiprocessing.dll" <<<"$contents" || fail "the package has no lib/net10.0/Multiprocessing.dll"
grep -q "lib/net10.0/Multiprocessing.Worker.dll" <<<"$contents" || fail "the package has no lib/net10.0/Multiprocessing.Worker.dll"
nuspec="$(zip_cat "$lib" Multiprocessing.nuspec)"
grep -q "Multiprocessing.Worker" <<<"$nuspec" && fail "the package depends on a Multiprocessing.Worker package"
grep -q "<readme>README.md</readme>" <<<"$nuspec" || fail "the package has no readme"
grep -q '<license type="expression">MIT</license>' <<<"$nuspec" || fail "the package has no MIT license"
tool_contents="$(zip_list "$tool")"
for file in tools/net10.0/any/mp.dll tools/net10.0/any/Multiprocessing.Worker.dll tools/net10.0/any/config/common.conf; do
  grep -q "$file" <<<"$tool_contents" || fail "the tool package has no $file"
done

echo "=== a new console app that references the package"
mkdir -p "$work/app"
cd "$work/app"
# The local folder is added to the sources the user already has (no <clear/>): the app's other dependencies come
# from there, Multiprocessing comes from the folder (no other source has this version).
cat > nuget.config <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="multiprocessing-pack-test" value="$work/feed" />
  </packageSources>
</configuration>
CONFIG
dotnet new console --framework net10.0 --name PackTestApp --output . >/dev/null || fail "dotnet new console failed"
dotnet add package Multiprocessing --version "$version" >/dev/null || fail "dotnet add package Multiprocessing failed"
cat > Program.cs <<'CS'
using Mp = Multiprocessing;

using var pool = new Mp.Pool(processes: 2);
var squares = pool.Map(Tasks.Square, Enumerable.Range(0, 100));
var pids = pool.Map(Tasks.Pid, Enumerable.Range(0, 8), chunksize: 1).Distinct().ToList();
pool.Close();
pool.Join();
Console.WriteLine($"sum of squares: {squares.Sum()}; worker pids: {string.Join(", ", pids)}; driver pid: {Environment.ProcessId}");
if (squares.Sum() != 328350 || pids.Contains(Environment.ProcessId))
{
    Console.WriteLine("FAILED");
    return 1;
}

Console.WriteLine("OK package");
return 0;

internal static class Tasks
{
    public static int Square(int x) => x * x;

    public static int Pid(int _) => Environment.ProcessId;
}
CS
dotnet build -c Release --nologo -v quiet >/dev/null || { dotnet build -c Release --nologo; fail "the app did not build"; }
[ -f bin/Release/net10.0/Multiprocessing.Worker.dll ] || fail "Multiprocessing.Worker.dll was not copied next to the app"
grep -q "\"Multiprocessing/$version\"" obj/project.assets.json || fail "the app did not resolve Multiprocessing $version"
output="$(timeout 120 dotnet run -c Release --no-build)" || { echo "$output"; fail "the app failed"; }
echo "$output"
grep -qx "OK package" <<<"$output" || fail "the app did not print 'OK package'"

echo "=== the mp tool"
timeout 300 dotnet tool install --tool-path "$work/tools" --add-source "$work/feed" --version "$version" Multiprocessing.Tool \
  >/dev/null || fail "dotnet tool install failed"
help="$(timeout 60 "$work/tools/mp" --help)" || fail "mp --help failed"
echo "$help" | head -n 12
grep -q "bench" <<<"$help" || fail "mp --help does not list bench"
version_line="$(timeout 60 "$work/tools/mp" version)" || fail "mp version failed"
echo "$version_line"
grep -q "$version" <<<"$version_line" || fail "mp version does not print $version"
if $run_bench; then
  timeout 600 "$work/tools/mp" bench --quick || fail "mp bench --quick failed"
fi

echo "OK pack"
