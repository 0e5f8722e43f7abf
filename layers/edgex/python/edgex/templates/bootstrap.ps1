# Edgex bootstrapper (Windows PowerShell 5.1 and PowerShell 7+). Served by
# GET /v1/agent/installer?type=ps1 and meant to be run with:
#   iex (irm -UseBasicParsing -Headers @{Authorization='Bearer <master token>'} -Uri '<api>/v1/agent/installer?type=ps1')
#
# It enrolls this machine (POST /v1/agent/enroll, master token), downloads the
# payload (GET /v1/agent/download, agent token) and runs it in memory through
# [scriptblock]::Create: nothing is written to disk. The payload takes the API URL,
# the agent token and the machine facts from $env:EDGEX_* (set here; the token is
# removed again when the payload ends). Everything runs in one script block so no
# variable or function leaks into the caller's session.
#
# Overrides: $env:EDGEX_MACHINE_ID, $env:EDGEX_HOSTNAME replace the detected values;
# $env:EDGEX_RETRY_BASE_DELAY sets the first retry delay in seconds (default 1).
#
# Failures throw (so `powershell -Command` exits non-zero; `exit` would close an
# interactive console) after setting $LASTEXITCODE:
#   90 a prerequisite is missing, 91 the API could not be reached (after 5 attempts),
#   92 the API refused the request (its code and message are in the error),
#   93 the API answered something unexpected.
& {
    $apiUrl = '__EDGEX_API_URL__'
    $masterToken = '__EDGEX_MASTER_TOKEN__'
    $ProgressPreference = 'SilentlyContinue'

    # Windows PowerShell 5.1 on older .NET does not offer TLS 1.2 by default.
    try {
        [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
    } catch {
        Write-Verbose 'TLS 1.2 could not be enabled explicitly'
    }

    function Stop-Edgex {
        param([int]$Code, [string]$Message)
        $global:LASTEXITCODE = $Code
        throw "edgex: $Message (exit code $Code)"
    }

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
        # Some firmware reports a placeholder UUID shared by every machine.
        if ($id -and $id -notmatch '^(0{8}-0{4}-0{4}-0{4}-0{12}|F{8}-F{4}-F{4}-F{4}-F{12})$') {
            return [string]$id
        }
        try {
            $id = (Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Cryptography' -Name MachineGuid -ErrorAction Stop).MachineGuid
        } catch {
            $id = $null
        }
        if ($id) {
            return [string]$id
        }
        $macs = [Net.NetworkInformation.NetworkInterface]::GetAllNetworkInterfaces() |
            ForEach-Object { $_.GetPhysicalAddress().ToString() } |
            Where-Object { $_ } |
            Sort-Object -Unique
        return 'fallback:' + (Get-EdgexHash -Text (($HostName, $macs) -join "`n"))
    }

    function Get-EdgexRetryDelay {
        $delay = 1
        if ($env:EDGEX_RETRY_BASE_DELAY -match '^[0-9]+$') {
            $delay = [int]$env:EDGEX_RETRY_BASE_DELAY
        }
        return $delay
    }

    # One API call. Retries network errors and 502/503/504 with exponential backoff
    # (5 attempts); any other HTTP error is final. Returns the answer's text or
    # stops with the documented exit code.
    function Invoke-EdgexApi {
        param([string]$Method, [string]$Path, [string]$Token, [string]$Body, [int]$TimeoutSec = 60)
        $delay = Get-EdgexRetryDelay
        $status = 0
        $detail = ''
        for ($attempt = 1; $attempt -le 5; $attempt++) {
            $status = 0
            $retryable = $false
            try {
                $request = @{
                    Uri             = $apiUrl + $Path
                    Method          = $Method
                    Headers         = @{ Authorization = 'Bearer ' + $Token }
                    UseBasicParsing = $true
                    TimeoutSec      = $TimeoutSec
                    ErrorAction     = 'Stop'
                }
                if ($PSBoundParameters.ContainsKey('Body')) {
                    $request.Body = [Text.Encoding]::UTF8.GetBytes($Body)
                    $request.ContentType = 'application/json; charset=utf-8'
                }
                $answer = Invoke-WebRequest @request
                return [string]$answer.Content
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
                    $detail = 'UNKNOWN'
                    if ($failure.ErrorDetails -and $failure.ErrorDetails.Message) {
                        $detail = [string]$failure.ErrorDetails.Message
                        try {
                            $err = ($detail | ConvertFrom-Json).error
                            $detail = [string]$err.code + ': ' + [string]$err.message
                        } catch {
                            Write-Verbose 'error answer is not JSON'
                        }
                    }
                }
            }
            if (-not $retryable -or $attempt -ge 5) {
                break
            }
            Start-Sleep -Seconds $delay
            $delay = $delay * 2
        }
        if ($status -eq 0) {
            Stop-Edgex -Code 91 -Message ('{0} {1}: cannot reach {2} ({3})' -f $Method, $Path, $apiUrl, $detail)
        }
        Stop-Edgex -Code 92 -Message ('{0} {1}: HTTP {2} {3}' -f $Method, $Path, $status, $detail)
    }

    if ($PSVersionTable.PSVersion.Major -lt 3) {
        Stop-Edgex -Code 90 -Message 'PowerShell 3 or later is required'
    }

    $hostName = $env:EDGEX_HOSTNAME
    if (-not $hostName) {
        $hostName = [Environment]::MachineName
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

    $payload = Invoke-EdgexApi -Method 'GET' -Path '/v1/agent/download' -Token $agentToken -TimeoutSec 300
    if (-not $payload) {
        Stop-Edgex -Code 93 -Message 'download: empty payload'
    }

    $env:EDGEX_API_URL = $apiUrl
    $env:EDGEX_AGENT_TOKEN = $agentToken
    $env:EDGEX_MACHINE_ID = $machineId
    $env:EDGEX_HOSTNAME = $hostName
    try {
        & ([scriptblock]::Create($payload))
    } finally {
        Remove-Item -Path 'Env:EDGEX_AGENT_TOKEN' -ErrorAction SilentlyContinue
    }
}
