# Edgex bootstrapper (Windows PowerShell 5.1 and PowerShell 7+). Served by
# GET /v1/agent/installer?type=ps1 and run by the one-liner the dashboard shows
# (Invoke-RestMethod, then Invoke-Expression).
#
# It enrolls this machine (POST /v1/agent/enroll, master token), downloads the
# payload (GET /v1/agent/download, agent token), checks it against the SHA-256
# pinned when the deployment was created (rendered below) and runs it in memory; the payload
# runs the script itself in a child PowerShell (see the wrapper), so the script's
# `exit` never closes this console. The payload takes the API URL, the agent token
# and the machine facts from $env:EDGEX_* (set here, and put back as they were in
# `finally`). Everything runs in one script block so no variable or function leaks
# into the caller's session.
#
# Overrides: $env:EDGEX_MACHINE_ID (set it on machines cloned from one image),
# $env:EDGEX_HOSTNAME; $env:EDGEX_RETRY_BASE_DELAY, EDGEX_RETRY_ATTEMPTS,
# EDGEX_RETRY_MAX_WAIT (Invoke-EdgexHttp); EDGEX_WAIT_MAX, EDGEX_WAIT_ATTEMPTS (the same
# policy for the download, which may wait for a rollout slot).
#
# Failures throw (so `powershell -Command` exits non-zero; `exit` would close an
# interactive console) after setting $LASTEXITCODE: for automation, run
#   powershell -NoProfile -Command "<one-liner>; exit $LASTEXITCODE"
#   90 a prerequisite is missing (PowerShell 3+, FullLanguage mode),
#   91 the API could not be reached (network errors until the retry policy gave up),
#   92 the API refused the request (its code and message are in the error),
#   93 the API answered something unexpected,
#   94 the payload's SHA-256 is not the pinned one: nothing ran, and the run is
#      reported failed with a step "integrity" entry when the API can be reached,
#   N  the script's exit code, when it is not 0.
& {
    $apiUrl = '__EDGEX_API_URL__'
    $edgexAnswer = @{ Timeout = '' }  # what the last answer told beside its body (the run's time limit)
    $masterToken = '__EDGEX_MASTER_TOKEN__'
    $payloadSha256 = '__EDGEX_PAYLOAD_SHA256__'
    $ProgressPreference = 'SilentlyContinue'

    function Stop-Edgex {
        param([int]$Code, [string]$Message)
        $global:LASTEXITCODE = $Code
        throw "edgex: $Message (exit code $Code)"
    }

    # Constrained Language Mode (AppLocker / WDAC) forbids the .NET calls below: say so
    # plainly instead of failing later as if the network were down.
    if ($ExecutionContext.SessionState.LanguageMode -ne 'FullLanguage') {
        Stop-Edgex -Code 90 -Message ('PowerShell runs in {0} mode (AppLocker / WDAC policy): the agent needs FullLanguage; run it from a host the policy allows' -f $ExecutionContext.SessionState.LanguageMode)
    }
    if ($PSVersionTable.PSVersion.Major -lt 3) {
        Stop-Edgex -Code 90 -Message 'PowerShell 3 or later is required'
    }

    # Windows PowerShell 5.1 on older .NET does not offer TLS 1.2 by default.
    try {
        [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
    } catch {
        Write-Verbose 'TLS 1.2 could not be enabled explicitly'
    }

    # @edgex-include retry_policy.ps1

    function Get-EdgexHash {
        param([string]$Text)
        $sha = [Security.Cryptography.SHA256]::Create()
        try {
            $bytes = $sha.ComputeHash([Text.Encoding]::UTF8.GetBytes($Text))
        } finally {
            $sha.Dispose()
        }
        return (($bytes | ForEach-Object { $_.ToString('x2') }) -join '')
    }

    # Refuse a payload whose SHA-256 is not the pinned one: report the run failed (a
    # step "integrity" entry and the final entry, exit code 94) when the API can be
    # reached, then stop with 94. Nothing of the payload has run.
    function Stop-EdgexIntegrity {
        param([string]$Token, [string]$RunId, [string]$Got)
        $message = "the payload's SHA-256 ($Got) does not match the one pinned for this deployment ($payloadSha256): nothing was run"
        $report = @{
            entries = @(
                @{ status = 'error'; message = $message; step = 'integrity' },
                @{ status = 'error'; message = 'Payload integrity check failed: ' + $message; step = 'complete'; exit_code = 94; outcome = 'failed' }
            )
        } | ConvertTo-Json -Compress -Depth 4
        $headers = @{ 'X-Edgex-Run' = $RunId; 'X-Edgex-Request' = ([DateTime]::UtcNow.ToString('yyyyMMddHHmmss') + '-integrity') }
        $sent = Invoke-EdgexHttp -Method 'POST' -Uri ($apiUrl + '/v1/agent/feedback') -Token $Token -Body $report -TimeoutSec 30 -Headers $headers
        if (-not $sent.Ok) {
            Write-Warning ('edgex: the integrity report could not be delivered (HTTP {0})' -f $sent.Status)
        }
        Stop-Edgex -Code 94 -Message $message
    }

    # The DNS host name, with the domain when joined: never the 15-character NetBIOS name.
    function Get-EdgexHostName {
        try {
            $properties = [Net.NetworkInformation.IPGlobalProperties]::GetIPGlobalProperties()
            if ($properties.HostName) {
                if ($properties.DomainName) {
                    return ($properties.HostName + '.' + $properties.DomainName)
                }
                return $properties.HostName
            }
        } catch {
            Write-Verbose 'no DNS host name'
        }
        return [Environment]::MachineName
    }

    # MachineGuid from the 64-bit registry view: a 32-bit PowerShell would read the
    # WOW64-redirected key otherwise.
    function Get-EdgexMachineGuid {
        try {
            $view = [Microsoft.Win32.RegistryView]::Default
            if ([Environment]::Is64BitOperatingSystem) {
                $view = [Microsoft.Win32.RegistryView]::Registry64
            }
            $hklm = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, $view)
            $key = $hklm.OpenSubKey('SOFTWARE\Microsoft\Cryptography')
            if ($key) {
                return [string]$key.GetValue('MachineGuid')
            }
        } catch {
            Write-Verbose 'MachineGuid is not readable'
        }
        return $null
    }

    function Get-EdgexMachineId {
        param([string]$HostName)
        if ($env:EDGEX_MACHINE_ID) {
            return $env:EDGEX_MACHINE_ID
        }
        $id = $null
        try {
            $id = (Get-CimInstance -ClassName Win32_ComputerSystemProduct -ErrorAction Stop).UUID
        } catch {
            $id = $null
        }
        # Placeholder UUIDs some firmware reports for every machine.
        $placeholders = @(
            '00000000-0000-0000-0000-000000000000',
            'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
            '03000200-0400-0500-0006-000700080009',
            '00020003-0004-0005-0006-000700080009',
            '11111111-1111-1111-1111-111111111111',
            '12345678-1234-5678-90AB-CDDEEFAABBCC'
        )
        if ($id -and $placeholders -notcontains ([string]$id).ToUpperInvariant()) {
            return [string]$id
        }
        $id = Get-EdgexMachineGuid
        if ($id) {
            return [string]$id
        }
        $macs = [Net.NetworkInformation.NetworkInterface]::GetAllNetworkInterfaces() |
            Where-Object { $_.NetworkInterfaceType -eq 'Ethernet' -or $_.NetworkInterfaceType -eq 'Wireless80211' } |
            ForEach-Object { $_.GetPhysicalAddress().ToString() } |
            Where-Object { $_ } |
            Sort-Object -Unique
        return 'fallback:' + (Get-EdgexHash -Text (($HostName, $macs) -join "`n"))
    }

    # One API call under the retry policy. Returns the answer's text or stops with
    # the documented exit code.
    function Invoke-EdgexApi {
        param([string]$Method, [string]$Path, [string]$Token, [string]$Body, [int]$TimeoutSec = 60, [hashtable]$Headers = @{})
        $result = Invoke-EdgexHttp -Method $Method -Uri ($apiUrl + $Path) -Token $Token -Body $Body -TimeoutSec $TimeoutSec -Headers $Headers
        if ($result.Ok) {
            $edgexAnswer.Timeout = $result.Timeout
            return $result.Body
        }
        if ($result.Status -eq 0) {
            Stop-Edgex -Code 91 -Message ('{0} {1}: cannot reach {2} after {3} attempt(s) ({4})' -f $Method, $Path, $apiUrl, $result.Attempts, $result.Detail)
        }
        $detail = 'UNKNOWN'
        if ($result.Body) {
            $detail = $result.Body
            try {
                $err = ($result.Body | ConvertFrom-Json).error
                $detail = [string]$err.code + ': ' + [string]$err.message
            } catch {
                Write-Verbose 'error answer is not JSON'
            }
        }
        Stop-Edgex -Code 92 -Message ('{0} {1}: HTTP {2} {3} (after {4} attempt(s))' -f $Method, $Path, $result.Status, $detail, $result.Attempts)
    }

    Set-EdgexProxyCredentials

    $hostName = $env:EDGEX_HOSTNAME
    if (-not $hostName) {
        $hostName = Get-EdgexHostName
    }
    $machineId = Get-EdgexMachineId -HostName $hostName

    $enrollBody = @{ hostname = $hostName; machine_id = $machineId } | ConvertTo-Json -Compress
    $enrollText = Invoke-EdgexApi -Method 'POST' -Path '/v1/agent/enroll' -Token $masterToken -Body $enrollBody
    $agentToken = $null
    try {
        $agentToken = [string]($enrollText | ConvertFrom-Json).agent_token
    } catch {
        $agentToken = $null
    }
    if (-not $agentToken -or $agentToken -notmatch '^[A-Za-z0-9_-]+$') {
        Stop-Edgex -Code 93 -Message 'enroll: the answer carries no agent_token'
    }
    Write-Host "edgex: enrolled $hostName (machine id $machineId)"

    # The run's id: a download retried after a lost reply is the same run, not another.
    $runId = [guid]::NewGuid().ToString('N')
    # A rollout with a max_concurrency answers 503 WAIT_FOR_SLOT (with Retry-After) until a
    # slot frees: the download may wait far longer than any other call, up to
    # $env:EDGEX_WAIT_MAX seconds (default 3600) over up to $env:EDGEX_WAIT_ATTEMPTS attempts (999).
    $savedAttempts = $env:EDGEX_RETRY_ATTEMPTS
    $savedWait = $env:EDGEX_RETRY_MAX_WAIT
    $env:EDGEX_RETRY_ATTEMPTS = if ($env:EDGEX_WAIT_ATTEMPTS) { $env:EDGEX_WAIT_ATTEMPTS } else { '999' }
    $env:EDGEX_RETRY_MAX_WAIT = if ($env:EDGEX_WAIT_MAX) { $env:EDGEX_WAIT_MAX } else { '3600' }
    try {
        $payload = Invoke-EdgexApi -Method 'GET' -Path '/v1/agent/download' -Token $agentToken -TimeoutSec 300 -Headers @{ 'X-Edgex-Run' = $runId }
    } finally {
        $env:EDGEX_RETRY_ATTEMPTS = $savedAttempts
        $env:EDGEX_RETRY_MAX_WAIT = $savedWait
    }
    if (-not $payload) {
        Stop-Edgex -Code 93 -Message 'download: empty payload'
    }
    $payloadHash = Get-EdgexHash -Text $payload
    if ($payloadHash -ne $payloadSha256) {
        Stop-EdgexIntegrity -Token $agentToken -RunId $runId -Got $payloadHash
    }

    # The payload's inputs, set for it and put back as they were afterwards: left
    # behind they would act as overrides in the admin's session next time.
    $names = @('EDGEX_API_URL', 'EDGEX_AGENT_TOKEN', 'EDGEX_MACHINE_ID', 'EDGEX_HOSTNAME', 'EDGEX_RUN_ID', 'EDGEX_TIMEOUT_SECONDS')
    $saved = @{}
    foreach ($name in $names) {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
    }
    $runExit = 1
    try {
        $env:EDGEX_API_URL = $apiUrl
        $env:EDGEX_AGENT_TOKEN = $agentToken
        $env:EDGEX_MACHINE_ID = $machineId
        $env:EDGEX_HOSTNAME = $hostName
        $env:EDGEX_RUN_ID = $runId
        # The run's time limit came as a header: the payload is the same for every machine.
        $env:EDGEX_TIMEOUT_SECONDS = $edgexAnswer.Timeout
        $global:LASTEXITCODE = 1
        & ([scriptblock]::Create($payload))
        $runExit = $global:LASTEXITCODE
    } finally {
        foreach ($name in $names) {
            [Environment]::SetEnvironmentVariable($name, $saved[$name])
        }
    }
    if ($runExit -ne 0) {
        Stop-Edgex -Code $runExit -Message 'the script failed'
    }
    $global:LASTEXITCODE = 0
}
