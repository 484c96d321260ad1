import pytest

from tests.factories import CourseFactory, LectureFactory, UserFactory


@pytest.fixture
def teacher(db):
    return UserFactory(is_instructor=True, display_name="김강사")


@pytest.fixture
def course(teacher):
    course = CourseFactory(slug="cs-quality", title="상담 품질 관리")
    course.instructors.add(teacher)
    return course


@pytest.fixture
def lecture(course):
    return LectureFactory(course=course, position=1, title="모니터링의 이해", duration_seconds=900)


@pytest.fixture
def asker(db):
    return UserFactory(display_name="질문하는회원")


@pytest.fixture
def question(lecture, asker):
    from lms.qna import services

    return services.question_ask(
        member=asker, lecture=lecture, body="녹취 평가 기준이 궁금합니다.", at_seconds=754
    )
