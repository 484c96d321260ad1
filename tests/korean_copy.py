"""What a careful Korean writer would not leave in the platform's text (the copy tests share it):
particles for either ending after a name ("을(를)", "이/가"), a space before the 되다/하다 ending
of one word ("로그인 되었습니다"), a username where the login is an e-mail address, allauth's
typo and translationese."""

import re

BAD = re.compile(
    r"을\(를\)|이\(가\)|\(으\)로|은\(는\)|와\(과\)|을/를|이/가|은/는"
    r"|[가-힣] 되었습니다|[가-힣] 하시겠습니까|아이디|올비르지|당신의|하십시요|십시오"
)
