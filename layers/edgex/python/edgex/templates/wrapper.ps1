# Edgex wrapper (Windows PowerShell 5.1 and PowerShell 7+). GET /v1/agent/download
# serves this text with the script's base64 at one placeholder; the bootstrapper
# runs it with [scriptblock]::Create. The text is the same for every machine of a
# deployment: the token and machine facts come from the environment:
#   $env:EDGEX_API_URL, $env:EDGEX_AGENT_TOKEN, $env:EDGEX_MACHINE_ID, $env:EDGEX_HOSTNAME
#   $env:EDGEX_RETRY_BASE_DELAY  first retry delay in seconds (default 1)
#
# Helpers for the script: _Orc-Send, Get-OrcSystemInfo, Test-OrcAdmin,
# Invoke-OrcWithRetry. The script is decoded in memory (base64, UTF-8) and
# dot-sourced from [scriptblock]::Create inside try/catch. Unless it reported
# completion itself (_Orc-Send -Status success|error -Step complete), the wrapper
# sends the final status: success/complete, or error/complete with the exception
# message. PowerShell's `exit` cannot be intercepted and carries no visible exit
# code here: a script that leaves through `exit` without reporting is recorded as
# an error saying so; report the outcome with _Orc-Send before calling exit.

Set-Variable -Name __EdgexWrapper -Option ReadOnly -Value @{
    ApiUrl    = $env:EDGEX_API_URL
    Token     = $env:EDGEX_AGENT_TOKEN
    MachineId = $env:EDGEX_MACHINE_ID
    HostName  = $env:EDGEX_HOSTNAME
    Completed = $false
    Outcome   = $null
    Error     = $null
}
# The script's own children have no use for the token: keep it out of their environment.
Remove-Item -Path 'Env:EDGEX_AGENT_TOKEN' -ErrorAction SilentlyContinue
if (-not $__EdgexWrapper.HostName) {
    $__EdgexWrapper.HostName = [Environment]::MachineName
}
if (-not $__EdgexWrapper.MachineId) {
    $__EdgexWrapper.MachineId = 'unknown'
}

# POST a JSON body with the agent token. Retries network errors and 502/503/504
# (5 attempts, exponential backoff); other HTTP errors are final. Never throws:
# returns $true when the API accepted the body.
function Invoke-OrcApi {
    param([string]$Path, [string]$Body)
    $delay = 1
    if ($env:EDGEX_RETRY_BASE_DELAY -match '^[0-9]+$') {
        $delay = [int]$env:EDGEX_RETRY_BASE_DELAY
    }
    $detail = ''
    $attempt = 1
    while ($true) {
        $retryable = $false
        try {
            $request = @{
                Uri             = $__EdgexWrapper.ApiUrl + $Path
                Method          = 'POST'
                Headers         = @{ Authorization = 'Bearer ' + $__EdgexWrapper.Token }
                Body            = [Text.Encoding]::UTF8.GetBytes($Body)
                ContentType     = 'application/json; charset=utf-8'
                UseBasicParsing = $true
                TimeoutSec      = 30
                ErrorAction     = 'Stop'
            }
            $null = Invoke-WebRequest @request
            return $true
        } catch {
            $failure = $_
            $response = $null
            if ($failure.Exception.PSObject.Properties['Response']) {
                $response = $failure.Exception.Response
            }
            if ($null -eq $response) {
                $retryable = $true
                $detail = $failure.Exception.Message
            } else {
                $status = [int]$response.StatusCode
                $retryable = ($status -eq 502 -or $status -eq 503 -or $status -eq 504)
                $detail = 'HTTP ' + $status
                if ($failure.ErrorDetails -and $failure.ErrorDetails.Message) {
                    $detail = $detail + ' ' + [string]$failure.ErrorDetails.Message
                }
            }
        }
        if (-not $retryable -or $attempt -ge 5) {
            break
        }
        Start-Sleep -Seconds $delay
        $delay = $delay * 2
        $attempt = $attempt + 1
    }
    [Console]::Error.WriteLine(('edgex: POST {0} failed after {1} attempt(s): {2}' -f $Path, $attempt, $detail))
    return $false
}

# One log entry for the dashboard. Never fatal: a failed delivery is a warning on stderr.
function _Orc-Send {
    param(
        [string]$Status = 'info',
        [AllowEmptyString()][string]$Message = '',
        [string]$Step = ''
    )
    $Status = $Status.ToLowerInvariant()
    if (@('info', 'success', 'warning', 'error') -notcontains $Status) {
        [Console]::Error.WriteLine(('edgex: _Orc-Send: unknown status {0} (info|success|warning|error), sent as info' -f $Status))
        $Status = 'info'
    }
    if ($Message.Length -gt 4096) {
        $Message = $Message.Substring(0, 4096)
    }
    $entry = @{ status = $Status; message = $Message }
    if ($Step) {
        if ($Step.Length -gt 100) {
            $Step = $Step.Substring(0, 100)
        }
        $entry.step = $Step
    }
    $delivered = Invoke-OrcApi -Path '/v1/agent/feedback' -Body ($entry | ConvertTo-Json -Compress)
    if ($delivered -and $Step -eq 'complete' -and ($Status -eq 'success' -or $Status -eq 'error')) {
        $__EdgexWrapper.Completed = $true
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

if (-not $__EdgexWrapper.ApiUrl -or -not $__EdgexWrapper.Token) {
    $global:LASTEXITCODE = 90
    throw 'edgex: EDGEX_API_URL and EDGEX_AGENT_TOKEN must be set (run through the bootstrapper)'
}

try {
    _Orc-Send -Status 'info' -Message ('Script started on {0}' -f $__EdgexWrapper.HostName) -Step 'start'
    $__EdgexScriptText = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('__EDGEX_SCRIPT_B64__'))
    . ([scriptblock]::Create($__EdgexScriptText.TrimStart([char]0xFEFF)))
    $__EdgexWrapper.Outcome = 'success'
} catch {
    $__EdgexWrapper.Outcome = 'error'
    $__EdgexWrapper.Error = $_.Exception.Message
    $global:LASTEXITCODE = 1
    throw
} finally {
    if (-not $__EdgexWrapper.Completed) {
        if ($__EdgexWrapper.Outcome -eq 'success') {
            _Orc-Send -Status 'success' -Message 'Script completed successfully' -Step 'complete'
        } elseif ($__EdgexWrapper.Outcome -eq 'error') {
            _Orc-Send -Status 'error' -Message ('Script failed: {0}' -f $__EdgexWrapper.Error) -Step 'complete'
        } else {
            _Orc-Send -Status 'error' -Message 'Script ended early (exit or interruption); its exit code is not visible to the wrapper' -Step 'complete'
        }
    }
}
