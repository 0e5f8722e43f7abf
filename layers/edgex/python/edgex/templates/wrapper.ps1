# Edgex wrapper (Windows PowerShell 5.1 and PowerShell 7+). GET /v1/agent/download
# serves this text with the script's base64 at one placeholder; the bootstrapper
# runs it in memory. The text is the same for every machine of a deployment: the
# token and machine facts come from the environment:
#   $env:EDGEX_API_URL, $env:EDGEX_AGENT_TOKEN, $env:EDGEX_MACHINE_ID, $env:EDGEX_HOSTNAME
#   $env:EDGEX_RETRY_BASE_DELAY, EDGEX_RETRY_ATTEMPTS, EDGEX_RETRY_MAX_WAIT (Invoke-EdgexHttp)
#   $env:EDGEX_TIMEOUT_SECONDS, EDGEX_HEARTBEAT_SECONDS (run control: Wait-OrcScriptProcess)
#
# Helpers for the script: _Orc-Send, Get-OrcSystemInfo, Test-OrcAdmin, Invoke-OrcWithRetry.
#
# The script runs in a child PowerShell (the same executable: powershell.exe or pwsh;
# 64-bit where Windows is), started with -NoProfile -NonInteractive and fed on stdin
# (base64 text: no file, no command-line limit), with the helpers defined first.
# So `exit N` ends only the child, N is the run's exit code, and the admin's console
# stays open. Exit code of the run:
#   the N of `exit N`;
#   else 1 when the script ends with an uncaught error (its message is logged);
#   else $LASTEXITCODE of the last native program it ran (msiexec, choco, ...), 0 if
#   none ran: a native program that failed earlier, followed by one that succeeded,
#   is not seen; check $LASTEXITCODE yourself, or `exit` with your own code;
#   90 when the child runs in Constrained Language Mode (AppLocker / WDAC).
#
# Requests (each one is paid for): only this process posts; the child has no token.
# Log entries (the wrapper's "Script started", the script's _Orc-Send) are not posted
# one by one: they are queued and ride with the next report of the script's output,
# which goes every EDGEX_HEARTBEAT_SECONDS (default 30; with nothing to carry it is
# the heartbeat) or sooner at 48 KiB / 400 chunks of output or 40 entries. The
# script's own final report (_Orc-Send -Status success|error -Step complete) goes at
# once, after what was queued before it. Unless that one was delivered, the wrapper's
# final report is one request: the entries still queued, then one entry, step
# "complete", status success (exit 0) or error, with "exit_code", and the last
# output. The exit code is left in $LASTEXITCODE for the bootstrapper.

# @edgex-include retry_policy.ps1

# The run's context: from the environment, once, and the run's reporting state. The
# token leaves the environment at once: only this process posts, and the script's
# child PowerShell (which inherits the environment) and its own children have no use
# for it. The child builds a context too (its helpers read the machine facts).
function New-OrcContext {
    $context = @{
        ApiUrl      = $env:EDGEX_API_URL
        Token       = $env:EDGEX_AGENT_TOKEN
        MachineId   = $env:EDGEX_MACHINE_ID
        HostName    = $env:EDGEX_HOSTNAME
        RunId       = $env:EDGEX_RUN_ID
        Requests    = 0
        # $true in the script's child: its _Orc-Send hands entries to the wrapper.
        Child       = $false
        # What starts a line of the child's stdout that carries an entry (_Orc-Send):
        # the ASCII record separator, which no text the script prints is expected to hold.
        EntryMark   = [string][char]0x1E + 'edgex-entry '
        Entries     = New-Object Collections.Generic.List[string]  # queued, as JSON
        Output      = New-Object Collections.Generic.List[object]  # chunks {stream, at, text}
        OutputBytes = 0
        Clock       = [Diagnostics.Stopwatch]::StartNew()
        ReportedAt  = 0  # Clock's milliseconds at the last report
        Stop        = $false  # the platform asked for the script to stop
        Completed   = $false  # the script's own final report was delivered (Send-OrcReport -Final)
    }
    Remove-Item -Path 'Env:EDGEX_AGENT_TOKEN' -ErrorAction SilentlyContinue
    if (-not $context.HostName) {
        $context.HostName = [Environment]::MachineName
    }
    if (-not $context.MachineId) {
        $context.MachineId = 'unknown'
    }
    return $context
}

# POST a JSON body with the agent token, under the retry policy. Never throws:
# returns $true when the API accepted the body.
function Invoke-OrcApi {
    param([string]$Path, [string]$Body)
    # The report's request key (kept by its retries, so the API stores it once): time
    # first, so the run's log sorts in the order reports were made, then this process
    # and its own count.
    $headers = @{}
    if ($__EdgexWrapper.RunId) {
        $__EdgexWrapper.Requests = $__EdgexWrapper.Requests + 1
        $seconds = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
        $headers['X-Edgex-Run'] = $__EdgexWrapper.RunId
        $headers['X-Edgex-Request'] = '{0:D10}-{1:D7}-{2:D6}-{3:D5}' -f $seconds, $PID, $__EdgexWrapper.Requests, (Get-Random -Maximum 100000)
    }
    $result = Invoke-EdgexHttp -Method 'POST' -Uri ($__EdgexWrapper.ApiUrl + $Path) -Token $__EdgexWrapper.Token -Body $Body -TimeoutSec 30 -Headers $headers
    $__EdgexWrapper.LastResult = $result  # run control reads the answer's control / status
    if ($result.Ok) {
        return $true
    }
    $detail = $result.Detail
    if ($result.Status -ne 0) {
        $detail = 'HTTP ' + $result.Status + ' ' + $result.Body
    }
    [Console]::Error.WriteLine(('edgex: POST {0} failed after {1} attempt(s): {2}' -f $Path, $result.Attempts, $detail))
    return $false
}

# At most Max characters, never half of a surrogate pair (the API refuses a lone one).
function ConvertTo-OrcText {
    param([AllowEmptyString()][string]$Text, [int]$Max)
    if ($Text.Length -le $Max) {
        return $Text
    }
    $cut = $Max
    if ([char]::IsHighSurrogate($Text[$cut - 1])) {
        $cut = $cut - 1
    }
    return $Text.Substring(0, $cut)
}

# One log entry for the dashboard. Never fatal, and never a request of its own: in
# the script's child the entry goes to the wrapper as one line of the child's stdout
# (the wrapper reads it, Receive-OrcLine); in the wrapper it is queued. Queued entries
# ride with the next report (Send-OrcReport); the script's final report (-Status
# success|error -Step complete) goes at once.
function _Orc-Send {
    param(
        [string]$Status = 'info',
        [AllowEmptyString()][string]$Message = '',
        [string]$Step = '',
        $ExitCode = $null,
        [string]$Outcome = ''
    )
    $Status = $Status.ToLowerInvariant()
    if (@('info', 'success', 'warning', 'error') -notcontains $Status) {
        [Console]::Error.WriteLine(('edgex: _Orc-Send: unknown status {0} (info|success|warning|error), sent as info' -f $Status))
        $Status = 'info'
    }
    $entry = @{ status = $Status; message = (ConvertTo-OrcText -Text $Message -Max 4096) }
    if ($Step) {
        $entry.step = ConvertTo-OrcText -Text $Step -Max 100
    }
    if ($null -ne $ExitCode) {
        $entry.exit_code = [long]$ExitCode
    }
    if ($Outcome) {
        $entry.outcome = $Outcome
    }
    # Compact JSON (one line: control characters are escaped), in ASCII (\uXXXX beyond):
    # the child's stdout is in the console's code page on Windows PowerShell 5.1, and
    # the wrapper reads it as UTF-8.
    $ascii = [Text.RegularExpressions.MatchEvaluator] { param($m) '\u{0:x4}' -f [int]$m.Value[0] }
    $json = [regex]::Replace(($entry | ConvertTo-Json -Compress), '[^\x00-\x7f]', $ascii)
    if ($__EdgexWrapper.Child) {
        # [Console]::Out is the child's stdout itself, not PowerShell's pipeline: neither
        # `$x = _Orc-Send ...` nor `| Out-Null` can swallow the line.
        [Console]::Out.WriteLine($__EdgexWrapper.EntryMark + $json)
    } else {
        $__EdgexWrapper.Entries.Add($json)
    }
}

# Hostname, OS, OSBuild, RAM_GB, IP, User, Domain, TimeZone, MachineId.
function Get-OrcSystemInfo {
    $info = @{
        Hostname  = $__EdgexWrapper.HostName
        OS        = [Environment]::OSVersion.VersionString
        OSBuild   = [string][Environment]::OSVersion.Version.Build
        RAM_GB    = $null
        IP        = $null
        User      = [Environment]::UserName
        Domain    = [Environment]::UserDomainName
        TimeZone  = [TimeZoneInfo]::Local.Id
        MachineId = $__EdgexWrapper.MachineId
    }
    try {
        $os = Get-CimInstance -ClassName Win32_OperatingSystem -ErrorAction Stop
        $info.OS = [string]$os.Caption
        $info.OSBuild = [string]$os.BuildNumber
        $info.RAM_GB = [math]::Round($os.TotalVisibleMemorySize / 1048576, 1)
    } catch {
        Write-Verbose 'Win32_OperatingSystem is not available'
    }
    try {
        $info.Domain = [string](Get-CimInstance -ClassName Win32_ComputerSystem -ErrorAction Stop).Domain
    } catch {
        Write-Verbose 'Win32_ComputerSystem is not available'
    }
    try {
        $info.User = [Security.Principal.WindowsIdentity]::GetCurrent().Name
    } catch {
        Write-Verbose 'no Windows identity'
    }
    try {
        $info.IP = [Net.Dns]::GetHostAddresses([Environment]::MachineName) |
            Where-Object { $_.AddressFamily -eq 'InterNetwork' -and -not [Net.IPAddress]::IsLoopback($_) } |
            Select-Object -First 1 |
            ForEach-Object { $_.IPAddressToString }
    } catch {
        Write-Verbose 'no IPv4 address found'
    }
    return $info
}

# $true when running elevated (Administrator; root outside Windows).
function Test-OrcAdmin {
    try {
        $principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
        return $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
    } catch {
        try {
            return ((& id -u) -eq '0')
        } catch {
            return $false
        }
    }
}

# Run the block until it succeeds; errors inside it are terminating here so that
# they count as failures. Each failed attempt is reported; the last one rethrows.
function Invoke-OrcWithRetry {
    param(
        [Parameter(Mandatory = $true)][scriptblock]$ScriptBlock,
        [int]$MaxAttempts = 3,
        [int]$DelaySeconds = 5,
        [string]$Step = 'retry'
    )
    $ErrorActionPreference = 'Stop'
    if ($MaxAttempts -lt 1) {
        $MaxAttempts = 1
    }
    $attempt = 1
    while ($true) {
        try {
            return (& $ScriptBlock)
        } catch {
            if ($attempt -ge $MaxAttempts) {
                _Orc-Send -Status 'error' -Message ('Failed after {0} attempt(s): {1}' -f $attempt, $_.Exception.Message) -Step $Step
                throw
            }
            _Orc-Send -Status 'warning' -Message ('Attempt {0}/{1} failed, retrying in {2}s: {3}' -f $attempt, $MaxAttempts, $DelaySeconds, $_.Exception.Message) -Step $Step
            Start-Sleep -Seconds $DelaySeconds
            $attempt = $attempt + 1
        }
    }
}

# What the child runs (-EncodedCommand; small and fixed). Its stdin holds two base64
# texts: the helpers' definitions on the first line, the script after it.
$__EdgexChildMain = {
    if ($ExecutionContext.SessionState.LanguageMode -ne 'FullLanguage') {
        [Console]::Error.WriteLine('edgex: PowerShell runs in Constrained Language Mode (AppLocker / WDAC): the agent needs FullLanguage')
        exit 90
    }
    $edgexInput = [Console]::In.ReadToEnd()
    $edgexSplit = $edgexInput.IndexOf("`n")
    $edgexHelpers = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($edgexInput.Substring(0, $edgexSplit)))
    $edgexScript = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($edgexInput.Substring($edgexSplit + 1)))
    $edgexInput = $null
    . ([scriptblock]::Create($edgexHelpers))
    # The child posts nothing, but the script's own web requests pass an authenticating
    # proxy as the wrapper's do.
    Set-EdgexProxyCredentials
    $__EdgexWrapper = New-OrcContext
    $__EdgexWrapper.Child = $true
    $global:LASTEXITCODE = 0
    try {
        . ([scriptblock]::Create($edgexScript.TrimStart([char]0xFEFF)))
    } catch {
        _Orc-Send -Status 'error' -Message ('Script failed: {0}' -f $_.Exception.Message) -Step 'error'
        [Console]::Error.WriteLine(('edgex: {0}' -f $_.Exception.Message))
        exit 1
    }
    exit $global:LASTEXITCODE
}

# The PowerShell that runs the script: this one, except that a 32-bit Windows
# PowerShell on 64-bit Windows (Intune's default) hands over to the 64-bit one.
function Get-OrcPowerShellPath {
    $path = (Get-Process -Id $PID).Path
    if ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess -and $env:SystemRoot) {
        $native = Join-Path $env:SystemRoot 'sysnative\WindowsPowerShell\v1.0\powershell.exe'
        if (Test-Path -LiteralPath $native) {
            $path = $native
        }
    }
    return $path
}

# Starts the script's child PowerShell and returns its Process object, stdin already
# written and closed, stdout and stderr redirected to this process. Run control
# (output capture, entries, heartbeat, timeout, cancel) acts on this object.
function Start-OrcScriptProcess {
    param([string]$EncodedScript)
    # The script's helpers and what they call; nothing that posts (the child has no token).
    $names = @(
        'Set-EdgexProxyCredentials', 'New-OrcContext', 'ConvertTo-OrcText', '_Orc-Send',
        'Get-OrcSystemInfo', 'Test-OrcAdmin', 'Invoke-OrcWithRetry'
    )
    $definitions = ($names | ForEach-Object { 'function {0} {{{1}}}' -f $_, (Get-Item -LiteralPath ('Function:\' + $_)).Definition }) -join "`n"
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($__EdgexChildMain.ToString()))
    $start = New-Object Diagnostics.ProcessStartInfo
    $start.FileName = Get-OrcPowerShellPath
    $start.Arguments = '-NoLogo -NoProfile -NonInteractive -EncodedCommand ' + $encoded
    $start.UseShellExecute = $false
    $start.RedirectStandardInput = $true
    # Every stream of the script (Write-Output, errors, warnings, Write-Host: the child's
    # stdout and stderr) is captured by the wrapper, which ships it (Wait-OrcScriptProcess);
    # the entries of its _Orc-Send come on stdout too.
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.StandardOutputEncoding = [Text.Encoding]::UTF8
    $start.StandardErrorEncoding = [Text.Encoding]::UTF8
    $start.EnvironmentVariables['EDGEX_MACHINE_ID'] = $__EdgexWrapper.MachineId
    $start.EnvironmentVariables['EDGEX_HOSTNAME'] = $__EdgexWrapper.HostName
    $process = [Diagnostics.Process]::Start($start)
    $process.StandardInput.Write([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($definitions)))
    $process.StandardInput.Write("`n")
    $process.StandardInput.Write(($EncodedScript -replace '\s', ''))
    $process.StandardInput.Close()
    return $process
}

# One report: the queued entries and the output so far (with neither, the heartbeat).
# The API takes 50 entries a request: more go at once in further requests, the output
# with the last, so none is dropped and the log keeps their order. -Final: the last
# entry queued is a final report; once it is delivered the run is Completed. Stop is
# set when the platform asks for the script to stop (control "stop", or a 409 / 410).
function Send-OrcReport {
    param([switch]$Final)
    $queue = $__EdgexWrapper.Entries
    do {
        $count = [math]::Min($queue.Count, 50)
        $body = '{"entries":[' + ($queue.GetRange(0, $count) -join ',') + ']'
        $queue.RemoveRange(0, $count)
        if ($queue.Count -eq 0 -and $__EdgexWrapper.Output.Count -gt 0) {
            $body = $body + ',"output":' + (ConvertTo-Json -InputObject @($__EdgexWrapper.Output.ToArray()) -Compress -Depth 5)
            $__EdgexWrapper.Output.Clear()
            $__EdgexWrapper.OutputBytes = 0
        }
        $null = Invoke-OrcApi -Path '/v1/agent/feedback' -Body ($body + '}')
        $result = $__EdgexWrapper.LastResult
        if ($result.Ok -and $result.Body -match '"control"\s*:\s*"stop"') {
            $__EdgexWrapper.Stop = $true
        }
        if (-not $result.Ok -and ($result.Status -eq 409 -or $result.Status -eq 410)) {
            $__EdgexWrapper.Stop = $true
        }
    } while ($queue.Count -gt 0)
    if ($Final -and $result.Ok) {
        $__EdgexWrapper.Completed = $true
    }
    $__EdgexWrapper.ReportedAt = $__EdgexWrapper.Clock.ElapsedMilliseconds
}

# One line of the script's stdout or stderr. A line of the child's _Orc-Send (the
# entry mark, then the entry's JSON) is neither echoed nor output: its entry is
# queued, and the script's final report (status success|error, step complete) goes
# at once. Any other line is echoed to this console and kept as output chunks
# {stream, at, text}. A report goes as soon as the output reaches 48 KiB or 400
# chunks, or 40 entries wait (the API takes 50 in one request and the wrapper's
# final report adds one; a chatty script's log stays live).
function Receive-OrcLine {
    param([string]$Line, [string]$Stream, $Echo)
    $entry = $null
    $final = $false
    # Ordinal: a culture-aware search may ignore the control character of the mark.
    $mark = $Line.IndexOf($__EdgexWrapper.EntryMark, [StringComparison]::Ordinal)
    if ($mark -ge 0) {
        $json = $Line.Substring($mark + $__EdgexWrapper.EntryMark.Length)
        # Not an entry (the line was cut by another writer of the child's stdout, say):
        # it stays output rather than spoil a report the API would refuse whole.
        try {
            $parsed = ConvertFrom-Json -InputObject $json -ErrorAction Stop
            if ($null -ne $parsed -and $parsed.PSObject.Properties['status'] -and $parsed.PSObject.Properties['message']) {
                $entry = $json
                $final = ($parsed.PSObject.Properties['step'] -and $parsed.step -eq 'complete' -and ($parsed.status -eq 'success' -or $parsed.status -eq 'error'))
                # What the script printed before it on the same line (Write-Host -NoNewline).
                $Line = $Line.Substring(0, $mark)
            }
        } catch {
            Write-Verbose 'not an entry: the line stays output'
        }
    }
    if ($null -eq $entry -or $Line) {
        $Echo.WriteLine($Line)
        $at = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ')
        # In pieces of at most 4096 characters (12 KiB of UTF-8), counted in UTF-8 bytes
        # as the API counts them: however long the line, a report stays under the 64 KiB
        # the API takes, and the entries riding with it are not refused with it.
        $rest = $Line + "`n"
        while ($rest.Length -gt 0) {
            $piece = ConvertTo-OrcText -Text $rest -Max 4096
            $rest = $rest.Substring($piece.Length)
            $__EdgexWrapper.Output.Add(@{ stream = $Stream; at = $at; text = $piece })
            $__EdgexWrapper.OutputBytes = $__EdgexWrapper.OutputBytes + [Text.Encoding]::UTF8.GetByteCount($piece)
            if ($__EdgexWrapper.OutputBytes -ge 49152 -or $__EdgexWrapper.Output.Count -ge 400) {
                Send-OrcReport
            }
        }
    }
    if ($null -ne $entry) {
        $__EdgexWrapper.Entries.Add($entry)
        if ($final) {
            Send-OrcReport -Final
        } elseif ($__EdgexWrapper.Entries.Count -ge 40) {
            Send-OrcReport
        }
    }
}

# The script's process and every process it started, at once (Windows has no process
# group to signal: .NET Core kills the tree; Windows PowerShell 5.1 asks taskkill).
function Stop-OrcScriptProcess {
    param([Diagnostics.Process]$Process)
    try {
        $Process.Kill($true)
    } catch {
        $null = & taskkill.exe /T /F /PID $Process.Id 2>&1
    }
}

# Waits for the script while reporting: each line of its stdout and stderr goes
# through Receive-OrcLine, and a report goes every EDGEX_HEARTBEAT_SECONDS (default
# 30; with nothing to carry it is the heartbeat) unless one went sooner; stops the
# script when the platform says so (cancelled) or at EDGEX_TIMEOUT_SECONDS
# (timed_out). Returns the outcome ('' when it ended by itself); the entries and
# output not yet sent are left for the final report.
function Wait-OrcScriptProcess {
    param([Diagnostics.Process]$Process)
    $every = Get-EdgexSetting -Name 'EDGEX_HEARTBEAT_SECONDS' -Default 30 -Scale 1000
    if ($every -le 0) {
        $every = 30000
    }
    $limitMs = Get-EdgexSetting -Name 'EDGEX_TIMEOUT_SECONDS' -Default 0 -Scale 1000
    $clock = $__EdgexWrapper.Clock
    $deadline = $clock.ElapsedMilliseconds + $limitMs
    $outcome = ''
    $readers = @(
        @{ Stream = 'stdout'; Reader = $Process.StandardOutput; Echo = [Console]::Out; Task = $null },
        @{ Stream = 'stderr'; Reader = $Process.StandardError; Echo = [Console]::Error; Task = $null }
    )
    foreach ($r in $readers) {
        $r.Task = $r.Reader.ReadLineAsync()
    }
    while ($true) {
        $open = 0
        foreach ($r in $readers) {
            while ($null -ne $r.Task -and $r.Task.IsCompleted) {
                $line = $r.Task.Result
                if ($null -eq $line) {
                    $r.Task = $null
                    break
                }
                $r.Task = $r.Reader.ReadLineAsync()
                Receive-OrcLine -Line $line -Stream $r.Stream -Echo $r.Echo
            }
            if ($null -ne $r.Task) {
                $open = $open + 1
            }
        }
        if ($open -eq 0 -and $Process.HasExited) {
            break
        }
        if ($limitMs -gt 0 -and -not $outcome -and $clock.ElapsedMilliseconds -ge $deadline) {
            $outcome = 'timed_out'
            Stop-OrcScriptProcess -Process $Process
        }
        if ($clock.ElapsedMilliseconds - $__EdgexWrapper.ReportedAt -ge $every) {
            Send-OrcReport
        }
        # Not once the script's own final report is in: the platform then says stop
        # because the run is over, not to cancel it.
        if ($__EdgexWrapper.Stop -and -not $outcome -and -not $__EdgexWrapper.Completed) {
            $outcome = 'cancelled'
            Stop-OrcScriptProcess -Process $Process
        }
        Start-Sleep -Milliseconds 100
    }
    $Process.WaitForExit()
    return $outcome
}

# The whole run: start, wait, final report. Returns the run's exit code; never throws.
function Invoke-OrcRun {
    param([string]$EncodedScript)
    $exitCode = 1
    $message = ''
    $outcome = ''
    try {
        $process = Start-OrcScriptProcess -EncodedScript $EncodedScript
        $outcome = Wait-OrcScriptProcess -Process $process
        $exitCode = $process.ExitCode
        $process.Dispose()
    } catch {
        $message = $_.Exception.Message
    }
    if ($outcome) {
        $text = 'Script stopped: the platform cancelled this run (exit code {0})'
        if ($outcome -eq 'timed_out') {
            $text = 'Script killed at its time limit of ' + $env:EDGEX_TIMEOUT_SECONDS + 's (exit code {0})'
        }
        _Orc-Send -Status 'error' -Message ($text -f $exitCode) -Step 'complete' -ExitCode $exitCode -Outcome $outcome
    } elseif (-not $__EdgexWrapper.Completed) {
        if ($message) {
            _Orc-Send -Status 'error' -Message ('The script could not be started: {0} (exit code {1})' -f $message, $exitCode) -Step 'complete' -ExitCode $exitCode
        } elseif ($exitCode -eq 0) {
            _Orc-Send -Status 'success' -Message 'Script completed successfully' -Step 'complete' -ExitCode 0
        } else {
            _Orc-Send -Status 'error' -Message ('Script failed with exit code {0}' -f $exitCode) -Step 'complete' -ExitCode $exitCode
        }
    }
    # The final report, one request: the entries still queued, the final entry last,
    # and the last output (after the script's own final report: only what came after it).
    if ($__EdgexWrapper.Entries.Count -gt 0 -or $__EdgexWrapper.Output.Count -gt 0) {
        Send-OrcReport
    }
    return $exitCode
}

if ($ExecutionContext.SessionState.LanguageMode -ne 'FullLanguage') {
    $global:LASTEXITCODE = 90
    throw 'edgex: PowerShell runs in Constrained Language Mode (AppLocker / WDAC): the agent needs FullLanguage (exit code 90)'
}
$__EdgexWrapper = New-OrcContext
if (-not $__EdgexWrapper.ApiUrl -or -not $__EdgexWrapper.Token) {
    $global:LASTEXITCODE = 90
    throw 'edgex: EDGEX_API_URL and EDGEX_AGENT_TOKEN must be set (run through the bootstrapper)'
}
Set-EdgexProxyCredentials
# Queued: it rides with the first report.
_Orc-Send -Status 'info' -Message ('Script started on {0}' -f $__EdgexWrapper.HostName) -Step 'start'
$global:LASTEXITCODE = Invoke-OrcRun -EncodedScript '__EDGEX_SCRIPT_B64__'
