# bash completion for cashbookctl.
# Generated from cashbookctl's command table by 'cashbookctl __generate bash':
# do not edit; it-ctl-table checks it is current.

_cashbookctl_commands='ping stats info register login logout whoami passwd book add import list export show edit rm restore history balance report verify share invites invite members member leave notifications watch help'

# The options of CMD ($1).
_cashbookctl_opts() {
	case $1 in
		'ping') echo ' --socket -s --json -j --timeout --book -b --help' ;;
		'stats') echo ' --socket -s --json -j --timeout --book -b --help' ;;
		'info') echo ' --socket -s --json -j --timeout --book -b --help' ;;
		'book') echo ' --socket -s --json -j --timeout --book -b --help' ;;
		'book create') echo ' --currency --description --socket -s --json -j --timeout --book -b --help' ;;
		'book list') echo ' --socket -s --json -j --timeout --book -b --help' ;;
		'book use') echo ' --socket -s --json -j --timeout --book -b --help' ;;
		'book show') echo ' --socket -s --json -j --timeout --book -b --help' ;;
		'book rename') echo ' --socket -s --json -j --timeout --book -b --help' ;;
		'book describe') echo ' --socket -s --json -j --timeout --book -b --help' ;;
		'book delete') echo ' --force --socket -s --json -j --timeout --book -b --help' ;;
		'add') echo ' --date -d --time --category -c --mode -m --party -p --note -n --reference -r --tag -t --key -k --socket -s --json -j --timeout --book -b --help' ;;
		'list') echo ' --from --to --type --category -c --mode -m --party -p --tag -t --search --min --max --trash --limit -l --all -a --csv --socket -s --json -j --timeout --book -b --help' ;;
		'show') echo ' --socket -s --json -j --timeout --book -b --help' ;;
		'edit') echo ' --type --amount --date -d --time --category -c --mode -m --party -p --note -n --reference -r --tag -t --clear --socket -s --json -j --timeout --book -b --help' ;;
		'rm') echo ' --socket -s --json -j --timeout --book -b --help' ;;
		'restore') echo ' --socket -s --json -j --timeout --book -b --help' ;;
		'history') echo ' --socket -s --json -j --timeout --book -b --help' ;;
		'balance') echo ' --socket -s --json -j --timeout --book -b --help' ;;
		'verify') echo ' --repair --socket -s --json -j --timeout --book -b --help' ;;
		'invite') echo ' --socket -s --json -j --timeout --book -b --help' ;;
		'member') echo ' --socket -s --json -j --timeout --book -b --help' ;;
		'help') echo ' --socket -s --json -j --timeout --book -b --help' ;;
	esac
}

# What option $2 of CMD $1 takes: TYPE [WORDS].
_cashbookctl_optarg() {
	case "$1|$2" in
		'book create|--currency') echo 'none' ;;
		'book create|--description') echo 'none' ;;
		'add|--date'|'add|-d') echo 'none' ;;
		'add|--time') echo 'none' ;;
		'add|--category'|'add|-c') echo 'category' ;;
		'add|--mode'|'add|-m') echo 'words Cash Online Card UPI Bank Other' ;;
		'add|--party'|'add|-p') echo 'none' ;;
		'add|--note'|'add|-n') echo 'none' ;;
		'add|--reference'|'add|-r') echo 'none' ;;
		'add|--ref') echo 'none' ;;
		'add|--tag'|'add|-t') echo 'none' ;;
		'add|--key'|'add|-k') echo 'none' ;;
		'list|--from') echo 'none' ;;
		'list|--to') echo 'none' ;;
		'list|--type') echo 'words in out' ;;
		'list|--category'|'list|-c') echo 'category' ;;
		'list|--mode'|'list|-m') echo 'words Cash Online Card UPI Bank Other' ;;
		'list|--party'|'list|-p') echo 'none' ;;
		'list|--tag'|'list|-t') echo 'none' ;;
		'list|--search') echo 'none' ;;
		'list|--min') echo 'none' ;;
		'list|--max') echo 'none' ;;
		'list|--limit'|'list|-l') echo 'none' ;;
		'edit|--type') echo 'words in out' ;;
		'edit|--amount') echo 'none' ;;
		'edit|--date'|'edit|-d') echo 'none' ;;
		'edit|--time') echo 'none' ;;
		'edit|--category'|'edit|-c') echo 'category' ;;
		'edit|--mode'|'edit|-m') echo 'words Cash Online Card UPI Bank Other' ;;
		'edit|--party'|'edit|-p') echo 'none' ;;
		'edit|--note'|'edit|-n') echo 'none' ;;
		'edit|--reference'|'edit|-r') echo 'none' ;;
		'edit|--ref') echo 'none' ;;
		'edit|--tag'|'edit|-t') echo 'none' ;;
		'edit|--clear') echo 'words time category mode party note reference tags' ;;
		*'|--socket'|*'|-s') echo 'file' ;;
		*'|--timeout'|*'|-t') echo 'none' ;;
		*'|--book'|*'|-b') echo 'book' ;;
	esac
}

# The subcommands of group $1.
_cashbookctl_subs() {
	case $1 in
		'book') echo 'create list use show rename describe delete' ;;
		'invite') echo 'accept decline revoke' ;;
		'member') echo 'set rm' ;;
		'notifications') echo 'read' ;;
	esac
}

# What operand $2 (from 0) of CMD $1 is: TYPE [WORDS].
_cashbookctl_operand() {
	case "$1|$2" in
		'book create|0') echo 'none' ;;
		'book use|0') echo 'book' ;;
		'book show|0') echo 'book' ;;
		'book rename|0') echo 'book' ;;
		'book rename|1') echo 'none' ;;
		'book describe|0') echo 'book' ;;
		'book describe|1') echo 'none' ;;
		'book delete|0') echo 'book' ;;
		'add|0') echo 'words in out' ;;
		'add|1') echo 'none' ;;
		'show|0') echo 'none' ;;
		'edit|0') echo 'none' ;;
		'rm|0') echo 'none' ;;
		'restore|0') echo 'none' ;;
		'history|0') echo 'none' ;;
		'help|0') echo 'command' ;;
		'help|1') echo 'command' ;;
	esac
}

# Sets _cb_cmd, _cb_n (operands before the cursor), _cb_want (an
# option waiting for its value) and _cb_pass (--book/--socket given).
_cashbookctl_walk() {
	local i w skip=
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
			if [[ -n $(_cashbookctl_optarg "${_cb_cmd:-*}" "$w") ]]; then
				skip=$w
			fi
			continue ;;
		esac
		if [[ -z $_cb_cmd ]]; then
			_cb_cmd=$w
		elif [[ $_cb_n == 0 && -n $(_cashbookctl_subs "$_cb_cmd") &&
		    " $(_cashbookctl_subs "$_cb_cmd") " == *" $w "* ]]; then
			_cb_cmd="$_cb_cmd $w"
		else
			((_cb_n++))
		fi
	done
	_cb_want=$skip
}

# The candidates for the word at the cursor: one a line.
_cashbookctl_candidates() {
	local spec subs
	if [[ -n $_cb_want ]]; then
		spec=$(_cashbookctl_optarg "${_cb_cmd:-*}" "$_cb_want")
	elif [[ $_cb_cur == -* ]]; then
		spec="words $(_cashbookctl_opts "${_cb_cmd:-*}")"
		[[ -z $_cb_cmd ]] && spec='words --socket -s --json -j --timeout -t --book -b --help -h --version -V'
	elif [[ -z $_cb_cmd ]]; then
		spec="words $_cashbookctl_commands"
	else
		subs=$(_cashbookctl_subs "$_cb_cmd")
		if [[ $_cb_n == 0 && -n $subs ]]; then
			spec="words $subs"
		else
			spec=$(_cashbookctl_operand "$_cb_cmd" "$_cb_n")
		fi
	fi
	case $spec in
	words\ *) printf '%s\n' ${spec#words } ;;
	book) cashbookctl "${_cb_pass[@]}" __complete books 2>/dev/null ;;
	category) cashbookctl "${_cb_pass[@]}" __complete categories 2>/dev/null ;;
	command) printf '%s\n' $_cashbookctl_commands ;;
	file) echo '<file>' ;;
	esac
}

_cashbookctl() {
	local _cb_words=("${COMP_WORDS[@]}") _cb_cword=$COMP_CWORD
	local _cb_cur=${COMP_WORDS[COMP_CWORD]} _cb_cmd _cb_n _cb_want _cb_pass c
	_cashbookctl_walk
	COMPREPLY=()
	c=$(_cashbookctl_candidates)
	if [[ $c == '<file>' ]]; then
		mapfile -t COMPREPLY < <(compgen -f -- "$_cb_cur")
		return
	fi
	local IFS=$'\n'
	mapfile -t COMPREPLY < <(compgen -W "$c" -- "$_cb_cur")
}
complete -F _cashbookctl cashbookctl
