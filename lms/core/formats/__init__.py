"""Django's date formats, in Korean order (FORMAT_MODULE_PATH): Django's own Korean formats
put the time before 오전/오후 ("7:00 오후"); ours match lms/core/dates.py ("오후 7:00")."""
