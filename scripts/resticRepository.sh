# shellcheck shell=bash
# Sourced by scripts/backup and scripts/restore (which define die): the off-site copy's restic
# repository, BACKUP_RESTIC_REPOSITORY (a local path, sftp:, s3:, rest:, … as restic takes it).
#
# use_restic_repository exports what restic reads: RESTIC_REPOSITORY (in the environment, not on a
# command line, because a rest: or s3: location may carry a password and ps shows every command line to
# every user of the host) and RESTIC_PASSWORD_FILE, from where the portal's secrets come from: the file
# RESTIC_PASSWORD_FILE names, or the systemd credential vetting-portal_RESTIC_PASSWORD (or
# RESTIC_PASSWORD) under $CREDENTIALS_DIRECTORY; one of them, never two. restic's other password
# sources (RESTIC_PASSWORD, RESTIC_PASSWORD_COMMAND) are cleared, so the password has one home.
# open_restic_repository checks that the repository exists and takes the password, and stops with
# what to do otherwise. It never creates one: a mistyped location, or a mount point whose disk is not
# mounted, would otherwise quietly become a new, empty repository while the real one is missed, and a
# repository's password must be saved off the host when it is made (without it nothing restores), which
# is a person's step (README, Production step 8).
use_restic_repository() {
  local repository=$1 file="${RESTIC_PASSWORD_FILE:-}" candidate
  command -v restic >/dev/null || die "restic is not installed (apt-get install restic)"
  if [[ -n ${CREDENTIALS_DIRECTORY:-} ]]; then
    for candidate in "$CREDENTIALS_DIRECTORY/vetting-portal_RESTIC_PASSWORD" "$CREDENTIALS_DIRECTORY/RESTIC_PASSWORD"; do
      [[ -e $candidate ]] || continue
      [[ -z $file || $file == "$candidate" ]] ||
        die "set either RESTIC_PASSWORD_FILE or the credential RESTIC_PASSWORD, not both"
      file=$candidate
      break
    done
  fi
  [[ -n $file ]] ||
    die "BACKUP_RESTIC_REPOSITORY is set but its password is not: put it in the credential RESTIC_PASSWORD (/etc/vetting-portal/credentials/RESTIC_PASSWORD) or name a file in RESTIC_PASSWORD_FILE"
  [[ -r $file ]] || die "the restic password file $file cannot be read"
  [[ -s $file ]] || die "the restic password file $file is empty"
  unset RESTIC_PASSWORD RESTIC_PASSWORD_COMMAND
  export RESTIC_REPOSITORY=$repository RESTIC_PASSWORD_FILE=$file
}

open_restic_repository() {
  local error
  error=$(restic cat config --no-cache 2>&1 >/dev/null) && return 0
  error=${error//$'\n'/ }
  case $error in
  *"Is there a repository at the following location?"* | *"config: no such file"* | *"config file does not exist"*)
    die "there is no restic repository at BACKUP_RESTIC_REPOSITORY: create it once, as the README's Production step 8 says (restic init), and keep its password off this host too" ;;
  *"wrong password"*)
    die "the restic repository did not accept the password (RESTIC_PASSWORD_FILE or the credential RESTIC_PASSWORD)" ;;
  *) die "could not open the restic repository: ${error#Fatal: }" ;;
  esac
}
