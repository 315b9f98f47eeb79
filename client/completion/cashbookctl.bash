# bash completion for cashbookctl.
# Generated from cashbookctl's command table by 'cashbookctl __generate bash':
# do not edit; it-ctl-table checks it is current.

_cashbookctl_commands='ping stats info backup register login logout whoami passwd book add import list export show edit rm restore history balance report verify share invites invite members member leave notifications watch help'

# Each table function sets _cb_r (no subshell: a TAB stays quick).

# The options of CMD ($1).
_cashbookctl_opts() {
	_cb_r=
	case $1 in
		'ping') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'stats') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'info') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'backup') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'register') _cb_r=' --username --password-stdin --socket -s --json -j --timeout --book -b --help' ;;
		'login') _cb_r=' --username --password-stdin --socket -s --json -j --timeout --book -b --help' ;;
		'logout') _cb_r=' --all -a --socket -s --json -j --timeout --book -b --help' ;;
		'whoami') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'passwd') _cb_r=' --password-stdin --socket -s --json -j --timeout --book -b --help' ;;
		'book') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'book create') _cb_r=' --currency --description --socket -s --json -j --timeout --book -b --help' ;;
		'book list') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'book use') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'book show') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'book rename') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'book describe') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'book delete') _cb_r=' --force --socket -s --json -j --timeout --book -b --help' ;;
		'add') _cb_r=' --date -d --time --category -c --mode -m --party -p --note -n --reference -r --tag -t --yes -y --key -k --socket -s --json -j --timeout --book -b --help' ;;
		'import') _cb_r=' --map --date-format --decimal-comma --type-from --skip-rows --delimiter --format --dry-run --profile --save-profile --list-profiles --socket -s --json -j --timeout --book -b --help' ;;
		'list') _cb_r=' --from --to --month --period --type --category -c --mode -m --party -p --tag -t --search --min --max --trash --limit -l --all -a --page --cursor --csv --socket -s --json -j --timeout --book -b --help' ;;
		'export') _cb_r=' --format --from --to --output -o --socket -s --json -j --timeout --book -b --help' ;;
		'show') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'edit') _cb_r=' --type --amount --date -d --time --category -c --mode -m --party -p --note -n --reference -r --tag -t --yes -y --clear --socket -s --json -j --timeout --book -b --help' ;;
		'rm') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'restore') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'history') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'balance') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'report') _cb_r=' --by --from --to --month --period --sort --percent --monthly -M --csv --socket -s --json -j --timeout --book -b --help' ;;
		'verify') _cb_r=' --repair --socket -s --json -j --timeout --book -b --help' ;;
		'share') _cb_r=' --can --socket -s --json -j --timeout --book -b --help' ;;
		'invites') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'invite') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'invite accept') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'invite decline') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'invite revoke') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'members') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'member') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'member set') _cb_r=' --can --socket -s --json -j --timeout --book -b --help' ;;
		'member rm') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'leave') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'notifications') _cb_r=' --unread --all -a --socket -s --json -j --timeout --book -b --help' ;;
		'notifications read') _cb_r=' --all -a --socket -s --json -j --timeout --book -b --help' ;;
		'watch') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
		'help') _cb_r=' --socket -s --json -j --timeout --book -b --help' ;;
	esac
}

# What option $2 of CMD $1 takes: TYPE [WORDS].
_cashbookctl_optarg() {
	_cb_r=
	case "$1|$2" in
		'register|--username') _cb_r='none' ;;
		'login|--username') _cb_r='none' ;;
		'book create|--currency') _cb_r='none' ;;
		'book create|--description') _cb_r='none' ;;
		'add|--date'|'add|-d') _cb_r='none' ;;
		'add|--time') _cb_r='none' ;;
		'add|--category'|'add|-c') _cb_r='category' ;;
		'add|--mode'|'add|-m') _cb_r='words Cash Online Card UPI Bank Other' ;;
		'add|--party'|'add|-p') _cb_r='none' ;;
		'add|--note'|'add|-n') _cb_r='none' ;;
		'add|--reference'|'add|-r') _cb_r='none' ;;
		'add|--ref') _cb_r='none' ;;
		'add|--tag'|'add|-t') _cb_r='none' ;;
		'add|--key'|'add|-k') _cb_r='none' ;;
		'import|--map') _cb_r='none' ;;
		'import|--date-format') _cb_r='none' ;;
		'import|--type-from') _cb_r='words sign column' ;;
		'import|--skip-rows') _cb_r='none' ;;
		'import|--delimiter') _cb_r='none' ;;
		'import|--format') _cb_r='words csv' ;;
		'import|--profile') _cb_r='none' ;;
		'import|--save-profile') _cb_r='none' ;;
		'list|--from') _cb_r='none' ;;
		'list|--to') _cb_r='none' ;;
		'list|--month') _cb_r='none' ;;
		'list|--period') _cb_r='words this-month last-month this-year last-year' ;;
		'list|--type') _cb_r='words in out' ;;
		'list|--category'|'list|-c') _cb_r='category' ;;
		'list|--mode'|'list|-m') _cb_r='words Cash Online Card UPI Bank Other' ;;
		'list|--party'|'list|-p') _cb_r='none' ;;
		'list|--tag'|'list|-t') _cb_r='none' ;;
		'list|--search') _cb_r='none' ;;
		'list|--min') _cb_r='none' ;;
		'list|--max') _cb_r='none' ;;
		'list|--limit'|'list|-l') _cb_r='none' ;;
		'list|--page') _cb_r='none' ;;
		'list|--cursor') _cb_r='none' ;;
		'export|--format') _cb_r='words csv json ledger' ;;
		'export|--from') _cb_r='none' ;;
		'export|--to') _cb_r='none' ;;
		'export|--output'|'export|-o') _cb_r='file' ;;
		'edit|--type') _cb_r='words in out' ;;
		'edit|--amount') _cb_r='none' ;;
		'edit|--date'|'edit|-d') _cb_r='none' ;;
		'edit|--time') _cb_r='none' ;;
		'edit|--category'|'edit|-c') _cb_r='category' ;;
		'edit|--mode'|'edit|-m') _cb_r='words Cash Online Card UPI Bank Other' ;;
		'edit|--party'|'edit|-p') _cb_r='none' ;;
		'edit|--note'|'edit|-n') _cb_r='none' ;;
		'edit|--reference'|'edit|-r') _cb_r='none' ;;
		'edit|--ref') _cb_r='none' ;;
		'edit|--tag'|'edit|-t') _cb_r='none' ;;
		'edit|--clear') _cb_r='words time category mode party note reference tags' ;;
		'report|--by') _cb_r='words month category mode party tag' ;;
		'report|--from') _cb_r='none' ;;
		'report|--to') _cb_r='none' ;;
		'report|--month') _cb_r='none' ;;
		'report|--period') _cb_r='words this-month last-month this-year last-year' ;;
		'report|--sort') _cb_r='words key amount' ;;
		'share|--can') _cb_r='none' ;;
		'member set|--can') _cb_r='none' ;;
		*'|--socket'|*'|-s') _cb_r='file' ;;
		*'|--timeout'|*'|-t') _cb_r='none' ;;
		*'|--book'|*'|-b') _cb_r='book' ;;
	esac
}

# The subcommands of group $1.
_cashbookctl_subs() {
	_cb_r=
	case $1 in
		'book') _cb_r='create list use show rename describe delete' ;;
		'invite') _cb_r='accept decline revoke' ;;
		'member') _cb_r='set rm' ;;
		'notifications') _cb_r='read' ;;
	esac
}

# What operand $2 (from 0) of CMD $1 is: TYPE [WORDS].
_cashbookctl_operand() {
	_cb_r=
	case "$1|$2" in
		'backup|0') _cb_r='file' ;;
		'book create|0') _cb_r='none' ;;
		'book use|0') _cb_r='book' ;;
		'book show|0') _cb_r='book' ;;
		'book rename|0') _cb_r='book' ;;
		'book rename|1') _cb_r='none' ;;
		'book describe|0') _cb_r='book' ;;
		'book describe|1') _cb_r='none' ;;
		'book delete|0') _cb_r='book' ;;
		'add|0') _cb_r='words in out' ;;
		'add|1') _cb_r='none' ;;
		'import|0') _cb_r='file' ;;
		'show|0') _cb_r='none' ;;
		'edit|0') _cb_r='none' ;;
		'rm|0') _cb_r='none' ;;
		'restore|0') _cb_r='file' ;;
		'history|0') _cb_r='none' ;;
		'share|0') _cb_r='book' ;;
		'share|1') _cb_r='none' ;;
		'invite accept|0') _cb_r='none' ;;
		'invite decline|0') _cb_r='none' ;;
		'invite revoke|0') _cb_r='none' ;;
		'member set|0') _cb_r='none' ;;
		'member rm|0') _cb_r='none' ;;
		'leave|0') _cb_r='book' ;;
		'notifications read|'*) _cb_r='none' ;;
		'help|0') _cb_r='command' ;;
		'help|1') _cb_r='command' ;;
	esac
}

# Sets _cb_cmd, _cb_n (operands before the cursor), _cb_want (an
# option waiting for its value) and _cb_pass (--book/--socket given).
_cashbookctl_walk() {
	local i w skip= _cb_r
	_cb_cmd= _cb_n=0 _cb_want= _cb_pass=()
	for ((i = 1; i < _cb_cword; i++)); do
		w=${_cb_words[i]}
		if [[ -n $skip ]]; then
			case $skip in
			-b|--book|-s|--socket) _cb_pass+=("$skip" "$w") ;;
			esac
			skip=
			continue
		fi
		case $w in
		--*=*) continue ;;
		-?*)
			_cashbookctl_optarg "${_cb_cmd:-*}" "$w"
			[[ -n $_cb_r ]] && skip=$w
			continue ;;
		esac
		_cashbookctl_subs "$_cb_cmd"
		if [[ -z $_cb_cmd ]]; then
			_cb_cmd=$w
		elif [[ $_cb_n == 0 && " $_cb_r " == *" $w "* ]]; then
			_cb_cmd="$_cb_cmd $w"
		else
			((_cb_n++))
		fi
	done
	_cb_want=$skip
}

# The candidates for the word at the cursor, one a line, into _cb_c;
# '<file>' for file names.  Only book names and categories fork (to
# ask cashbookd).
_cashbookctl_candidates() {
	local _cb_r
	_cb_c=
	if [[ -n $_cb_want ]]; then
		_cashbookctl_optarg "${_cb_cmd:-*}" "$_cb_want"
	elif [[ $_cb_cur == -* && -z $_cb_cmd ]]; then
		_cb_r='words --socket -s --json -j --timeout -t --book -b --help -h --version -V'
	elif [[ $_cb_cur == -* ]]; then
		_cashbookctl_opts "$_cb_cmd"
		_cb_r="words$_cb_r"
	elif [[ -z $_cb_cmd ]]; then
		_cb_r="words $_cashbookctl_commands"
	else
		_cashbookctl_subs "$_cb_cmd"
		if [[ $_cb_n == 0 && -n $_cb_r ]]; then
			_cb_r="words $_cb_r"
		else
			_cashbookctl_operand "$_cb_cmd" "$_cb_n"
		fi
	fi
	case $_cb_r in
	words\ *) _cb_c=${_cb_r#words }; _cb_c=${_cb_c// /$'\n'} ;;
	book) _cb_c=$(cashbookctl "${_cb_pass[@]}" __complete books 2>/dev/null) ;;
	category) _cb_c=$(cashbookctl "${_cb_pass[@]}" __complete categories 2>/dev/null) ;;
	command) _cb_c=${_cashbookctl_commands// /$'\n'} ;;
	file) _cb_c='<file>' ;;
	esac
}

_cashbookctl() {
	local _cb_words=("${COMP_WORDS[@]}") _cb_cword=$COMP_CWORD
	local _cb_cur=${COMP_WORDS[COMP_CWORD]} _cb_cmd _cb_n _cb_want _cb_pass _cb_c
	_cashbookctl_walk
	_cashbookctl_candidates
	if [[ $_cb_c == '<file>' ]]; then
		mapfile -t COMPREPLY < <(compgen -f -- "$_cb_cur")
		return
	fi
	local IFS=$'\n' c
	COMPREPLY=()
	for c in $_cb_c; do
		[[ $c == "$_cb_cur"* ]] && COMPREPLY+=("$c")
	done
}
complete -F _cashbookctl cashbookctl
