"""Urgency with its reason."""

from __future__ import annotations

import pytest

from nlu.urgency import assess_urgency, assess_urgency_many


@pytest.mark.parametrize(
    "text",
    [
        "楼道里有很重的煤气味",
        "马路上水管爆了，水一直往外喷",
        "我妈被困在电梯里了",
        "小区门口电线掉下来了还在打火",
        "下穿隧道积水已经没过车轮了",
        "井盖没了，晚上很危险",
        "火车站那个地道全淹了，人还在车上",
        "大树被风刮倒了，横在马路上，车都过不去",
        "接学生的面包车塞了十几个小孩，车门都关不上",
        "桥下有个老头躺着，下雨天，叫他也不动",
        "办公室七八个人都在上吐下泻",
        "楼道里充电的电瓶在冒白烟",
        "我爸突然胸口疼得直不起腰，救护车还没到",
        "翻了一辆油罐车，柴油一直往河里流，下游就是取水口",
        "接孩子的司机喝酒开车，一车小学生已经开走了",
        "小区门口那个燃气调压箱被三轮车撞了，现在呲呲地响，外面都结霜了",
        "我在长途大巴上，司机好像在打瞌睡，刚才蹭了一下护栏",
        "村后面那道河堤，堤脚在往外冒浑水，后面住着十几户人家",
        "升降台卡在半空，人还在车里，那个焦味越来越大",
        "我家孩子放学到现在找不到了",
        "我老婆怀孕八个月，肚子疼，流血了",
        "江北医院急诊通道口那棵老银杏刚刚连根倒了，横在通道上",
        "操场边上那堵挡土墙鼓出来了，中间裂了几道缝，往下掉石头",
        "托管班的孩子从七点半开始一个接一个地吐",
        "沟里倒了二十几袋白粉子，像是电石，碰到火要炸的",
        "一棵大香樟被风刮断了，整棵横在马路上",
        "液化气罐在漏气，刚才窜了一下火苗，现在火灭了，但还在呲呲地往外冒气",
        "限高杆被大货车撞歪了，横杆现在斜着挂下来，正好在挡风玻璃那么高",
    ],
)
def test_dangers_are_urgent_with_a_reason(text: str) -> None:
    result = assess_urgency(text)
    assert result.urgency == "紧急"
    assert result.evidence and result.evidence in text and result.evidence in result.reason


@pytest.mark.parametrize(
    "text",
    [
        "路灯坏了一个星期",
        "想咨询一下公积金怎么提取",
        "",
        # feared, missed, over, or no emergency for the city to act on
        "电线拉得到处都是，万一着火跑都跑不出去",
        "健身器材掉下来了，有老人差点受伤",
        "孩子们在上面困了十分钟，都下来了，没人受伤",
        "被狗咬了，出血了，去哪里打狂犬疫苗",
        "货车超载，压坏了路面",
        # a danger on a day gone by, nobody answerable, what could happen, a denial
        "现在没有，上礼拜有个工友晕倒了，送去挂了水，好了",
        "施工队早撤了，社区说找不到人",
        "厂子前年就关了，老板找不到人，谁给我出证明",
        "网上说这种热水器装在封闭的地方会一氧化碳中毒",
        "有没有人被困？那倒没有，就是电梯老是停",
        "电梯掉下去了！没有没有，是昨天晚上的事，我自己爬出来的",
        "前几天有个骑摩托车的掉进坑里，擦破了皮",
        "每次下大雨巷子里的水就到膝盖，下水道口一点不往下走",
        "安全出口被纸箱子堵死了，真要着火了人都跑不掉",
        "医生说是胃病，第二天在家里晕倒，送到医院是心梗",
        "旁边那个厂天天半夜烟囱冒黑烟",
        "喂，叔叔，着火了！……不是，是有人在烧东西",
    ],
)
def test_ordinary_requests_are_not_urgent(text: str) -> None:
    assert assess_urgency(text).urgency == "一般"


def test_a_danger_unfolding_now_is_in_progress_a_state_is_not() -> None:
    assert assess_urgency("楼道里有很重的煤气味").in_progress
    assert not assess_urgency("学校门口的井盖没了").in_progress
    assert not assess_urgency("路灯坏了").in_progress


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("热水器都打不着火", False),  # a heater that will not light is no fire
        ("B口正对着火车站进站口，要绕路", False),  # facing the station, no fire
        ("孩子的预防接种证丢了", False),  # something of the child's, not the child, is lost
        ("孩子在商场走失了", True),
        ("东信路上突然塌了一个坑，有一米多宽", True),
        ("山上石头滚下来了，好几块大石头堵在路中间", True),
        ("锅炉房外面一直在往外喷蒸汽", True),
    ],
)
def test_negated_and_possessive_wordings(text: str, urgent: bool) -> None:
    assert (assess_urgency(text).urgency == "紧急") is urgent


@pytest.mark.parametrize(
    "text",
    ["塔吊在大风里晃得厉害，下面还有工人在干活", "孩子被锁在车里了，车停在太阳底下，哭得不行"],
)
def test_dangers_the_rules_do_not_name_are_left_to_the_model(text: str) -> None:
    result = assess_urgency(f"你好\n{text}\n你们快派人来看看")
    assert result.urgency == "紧急"
    assert result.evidence == text and result.probability is not None
    assert "模型判断" in result.reason and result.probability >= 0.5
    assert result.in_progress  # reported as it happens: the event is at the call's hour


@pytest.mark.parametrize(
    "text",
    ["上个月塔吊晃过一次，后来加固了", "我担心楼下那棵树哪天会倒", "我想问一下公租房怎么申请",
     "路面又滑，上礼拜有个老人骑车在那里滑倒了", "我姓贲，上面一个卉，下面一个贝。",
     # the next turn takes the alarm back
     "哎哟我的妈吔，我屋头煤气要炸了！\n不是不是，莫得漏气，我是说燃气费炸了！",
     "喂，出车祸了！\n人没事，就是一辆SUV把我电瓶车后视镜刮断了，开走了。",
     "喂！出车祸了！\n哦豁，人倒是没得事，就是小车把三轮车刮了一哈，堵了一长串。"],
)
def test_the_model_leaves_past_feared_and_plain_requests_alone(text: str) -> None:
    result = assess_urgency(text)
    assert result.urgency == "一般" and result.probability is None


@pytest.mark.parametrize(
    "text",
    [
        "我妈刚才在家突然倒了，叫她也没反应，救护车还没到！",
        "我爸嘴歪了，半边身子动不了，你们快点！",
    ],
)
def test_a_sudden_collapse_is_urgent(text: str) -> None:
    assert assess_urgency(text).urgency == "紧急"


@pytest.mark.parametrize(
    "text",
    ["河水漫进村里了，我家一楼淹到腰了，老人还在楼上",
     "楼道里的煤气管子锈穿了，我下楼的时候听到嘶嘶地响",
     "那辆校车油箱底下一直在滴油，车上全是学生"],
)
def test_floods_gas_heard_and_a_dripping_fuel_tank_are_urgent(text: str) -> None:
    assert assess_urgency(text).urgency == "紧急"


@pytest.mark.parametrize(
    "text",
    [
        # Over: the fire put out, the smell gone, the patient saved, the child found.
        "昨晚仓库着火了，消防车来了才扑灭，我想问问赔偿的事。",
        "前天晚上闻到煤气味，现在没了，就是想问抢修为什么这么慢。",
        "我老婆手术后大出血，送去抢救，现在人是救回来了，病历他们不给。",
        "孩子在景区走散了，半个钟头就找到了，想表扬帮忙的老板娘。",
        # A device, not a person; a chronic illness; a danger only to be avoided.
        "新换的屏幕点了没反应，店家不认账。",
        "我家老头子中风瘫在床上，家庭医生每个月都上门。",
        "岔路口多装几个指示牌，免得游客走丢。",
        # Repaired on the spot, in Wu; water gone; what happens each time it rains; a cable
        # chewed by rats.
        "上礼拜灶台边闻到煤气味，师傅当场来修好了，就是收费太贵。",
        "前天车库进水，现在水退了，损失找谁赔？",
        "我们单元门口一下暴雨就倒灌，去年就报过。",
        "老鼠多得很，把我家冰箱后面的电线咬断了。",
        # A fire out at once; a danger taken back; a collapse only feared.
        "厨房的锅烧起来了，火当场就灭了，没人受伤，想问问保险的事。",
        "着火了——哦，不是房子着火，是田里有人在烧秸秆，烟大得很。",
        "楼上在加盖，我们楼下的怕塌。",
        # A fire told as if now, then dated last month.
        "仓库着火了，东西全烧光了。\n不是现在，是上个月初的事，保险一直不赔。",
        # Smoke first taken for a fire, in Mandarin and in Cantonese.
        "我还以为家里着火了，原来是楼下烧烤的油烟",
        "成屋都系烟！唔系着火，系楼下烧烤档",
        # Each time it rains; a fire taken back after 「……」; a book not found; a patient
        # recovered.
        "一下大雨雨水就倒灌进我家车库，下水道根本排不出去",
        "着火了吧？楼下后墙那个管子呼呼往外冒白烟……哦不是，是蒸汽加油烟",
        "孩子找不到书，管理员蹲下来一本一本帮着找",
        "他吃了以后喘不上气，幸好送医院及时，现在已经好了",
    ],
)
def test_dangers_over_or_not_present_are_not_urgent(text: str) -> None:
    assert assess_urgency(text).urgency == "一般"


def test_a_batch_reads_each_text_as_alone() -> None:
    texts = ["楼道里有很重的煤气味", "", "路灯坏了\n麻烦你们来看看", "楼里有人一直在喊救命\n快来"]
    assert assess_urgency_many(texts) == [assess_urgency(text) for text in texts]
    assert assess_urgency_many([]) == []
