; Inno Setup 6.3 or newer: installer for the ccmsetup-wizard onedir bundle, per user or per machine.
;
; Built by installer/build.py, which passes:
;   /DAppVersion=<wizard.__version__>   (required: the version has one source, the package)
;   /DAppNumericVersion=<X.Y.Z.W>       (the same version as four numbers, for the setup's file version)
;   /DSourceDir=<dist\ccmsetup-wizard>  (the PyInstaller onedir bundle)
;   /DOutputDir=<dist>
;   /DAppIcon=<build\...\ccmsetup-wizard.ico>  (optional: the setup program's icon)
; By hand: "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 /DSourceDir=dist\ccmsetup-wizard
;          /DOutputDir=dist installer\ccmsetup-wizard.iss
;
; Install mode: by default per user, without administrator rights (desktop support on a technician's own
; account): {autopf} is then %LOCALAPPDATA%\Programs, shortcuts go to the user's Start menu and the uninstall
; entry to HKCU. An administrator chooses "Install for all users" in the first dialog, or runs the setup with
; /ALLUSERS (silent deployment: /ALLUSERS /VERYSILENT ...): {autopf} is then Program Files, for every user.
; /CURRENTUSER forces the per-user install. The installed wizard itself runs asInvoker and elevates only
; ccmsetup.exe, so both installs work the same.

; ArchitecturesAllowed=x64compatible (and the [Setup] directives above) need Inno Setup 6.3.
#if VER < EncodeVer(6, 3, 0)
  #error Inno Setup 6.3 or newer is required to compile this script (x64compatible); install it from jrsoftware.org
#endif

#ifndef AppVersion
  #error AppVersion is not defined: build with installer/build.py, or pass /DAppVersion=X.Y.Z to ISCC
#endif
#ifndef AppNumericVersion
  #define AppNumericVersion AppVersion
#endif
#ifndef SourceDir
  #define SourceDir "..\dist\ccmsetup-wizard"
#endif
#ifndef OutputDir
  #define OutputDir "..\dist"
#endif

#define AppName "ccmsetup-wizard"
#define AppDisplayName "Configuration Manager client setup wizard"
#define AppExe "ccmsetup-wizard.exe"
#define AppCliExe "ccmsetup-wizard-cli.exe"

[Setup]
; The AppId identifies the product for upgrades and uninstall: never change it.
AppId={{6C0F3E59-2B7A-4F4E-9C3E-5D1B8A7E4C21}
AppName={#AppDisplayName}
AppVersion={#AppVersion}
AppVerName={#AppDisplayName} {#AppVersion}
AppPublisher=ccmsetup-wizard contributors
VersionInfoVersion={#AppNumericVersion}
VersionInfoProductName={#AppName}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppDisplayName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#OutputDir}
OutputBaseFilename={#AppName}-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayName={#AppDisplayName}
UninstallDisplayIcon={app}\{#AppExe}
CloseApplications=yes
RestartApplications=no
#ifdef AppIcon
SetupIconFile={#AppIcon}
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole onedir bundle; an upgrade replaces it, so files dropped from a newer bundle do not linger.
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{#AppDisplayName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Comment: "Install the Configuration Manager client with a guided, validated ccmsetup command"
Name: "{autoprograms}\{#AppDisplayName} (demo device)"; Filename: "{app}\{#AppExe}"; Parameters: "--demo"; WorkingDir: "{app}"; Comment: "Practise on a simulated device: nothing is installed"
Name: "{autodesktop}\{#AppDisplayName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
; Started unelevated (runasoriginaluser): the wizard is asInvoker and keeps credentials in the
; technician's own Credential Manager, not the administrator's.
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppDisplayName}}"; Flags: nowait postinstall skipifsilent runasoriginaluser

[UninstallDelete]
; Python bytecode caches and anything else the bundle created next to itself.
Type: filesandordirs; Name: "{app}\_internal"
